"""The assembled detector: TinyNAS backbone -> GiraffeNeckV2 -> ZeroHead."""

from __future__ import annotations

import torch
from torch import nn

from .backbone import build_backbone
from .config import VariantConfig, load_variants, variant_config
from .head import ZeroHead
from .neck import GiraffeNeckV2


class DamoYolo(nn.Module):
    """Image batch (N, 3, H, W), RGB, 0-255, unnormalised -> (scores, boxes) before NMS."""

    def __init__(self, cfg: VariantConfig):
        super().__init__()
        self.config = cfg
        self.backbone = build_backbone(cfg.backbone)
        self.neck = GiraffeNeckV2(cfg.neck)
        self.head = ZeroHead(cfg.head)

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.head(self.neck(self.backbone(images)))


VARIANTS: tuple[str, ...] = tuple(load_variants())


def build_model(variant: str) -> DamoYolo:
    """Train-mode structure (unfused RepConv branches, official state-dict layout), in eval mode."""
    return DamoYolo(variant_config(variant)).eval()
