"""The D-FINE detector (and DEIM's D-FINE models) assembled from a variant's configuration."""

from __future__ import annotations

import torch
from torch import nn

from .config import VariantConfig, load_variants, variant_config
from .decoder import DFINETransformer
from .hgnetv2 import HGNetv2
from .hybrid_encoder import HybridEncoder

VARIANTS: tuple[str, ...] = tuple(load_variants())


class DFINE(nn.Module):
    """images (N, 3, H, W; RGB, 0..1) -> pred_logits (N, Q, classes), pred_boxes (N, Q, 4; cx, cy, w, h in 0..1)."""

    def __init__(self, config: VariantConfig) -> None:
        super().__init__()
        self.config = config
        # registration order backbone, decoder, encoder is the official state-dict order
        self.backbone = HGNetv2(config.backbone)
        self.decoder = DFINETransformer(config.decoder, config.num_classes, config.eval_spatial_size)
        self.encoder = HybridEncoder(config.encoder)

    def forward(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        return self.decoder(self.encoder(self.backbone(images)))


def build_model(variant: str) -> DFINE:
    """Train-mode structure (official state-dict layout), switched to eval."""
    if variant not in VARIANTS:
        raise KeyError(f"unknown D-FINE variant {variant!r}; known: {', '.join(VARIANTS)}")
    return DFINE(variant_config(variant)).eval()
