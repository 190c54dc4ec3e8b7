"""The RT-DETRv2 detector assembled from a variant's configuration."""

from __future__ import annotations

import torch
from torch import nn

from .config import VariantConfig, variant_config
from .decoder import RTDETRTransformerv2
from .hybrid_encoder import HybridEncoder
from .presnet import PResNet

VARIANTS: tuple[str, ...] = ("rtdetrv2-s", "rtdetrv2-r34vd", "rtdetrv2-m", "rtdetrv2-l", "rtdetrv2-x")


class RTDETR(nn.Module):
    """images (N, 3, H, W; RGB, 0..1) -> pred_logits (N, Q, classes), pred_boxes (N, Q, 4; cx, cy, w, h in 0..1)."""

    def __init__(self, config: VariantConfig) -> None:
        super().__init__()
        self.config = config
        # registration order backbone, decoder, encoder is the official state-dict order
        self.backbone = PResNet(config.backbone)
        self.decoder = RTDETRTransformerv2(config.decoder, config.num_classes, config.eval_spatial_size)
        self.encoder = HybridEncoder(config.encoder)
        if self.backbone.out_channels != list(config.encoder.in_channels):
            raise ValueError(f"{config.name}: backbone gives {self.backbone.out_channels} channels, encoder "
                             f"expects {list(config.encoder.in_channels)}")

    def forward(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        return self.decoder(self.encoder(self.backbone(images)))


def build_model(variant: str) -> RTDETR:
    """Train-mode structure (official state-dict layout), switched to eval."""
    if variant not in VARIANTS:
        raise KeyError(f"unknown RT-DETRv2 variant {variant!r}; known: {', '.join(VARIANTS)}")
    return RTDETR(variant_config(variant)).eval()

