"""D-FINE's hybrid encoder: RT-DETR's (AIFI attention on the coarsest map, then a top-down FPN and a
bottom-up PAN), with D-FINE's blocks in the fusion paths.

What D-FINE changes, per the official src/zoo/dfine/hybrid_encoder.py: the fusion blocks are
GELAN-style RepNCSPELAN4 (split, two CSP branches of RepVGG blocks, concatenate) instead of CSPRepLayer,
the stride-2 downsampling is SCDown (1x1 conv, then a depthwise 3x3 stride-2 conv, both without
activation), and the lateral 1x1 convs have no activation. The data flow is RT-DETRv2's, so the
forward pass is inherited from benchgen's RT-DETRv2 encoder.
"""

from __future__ import annotations

import torch
from torch import nn

from benchgen.models.rtdetrv2.config import EncoderConfig
from benchgen.models.rtdetrv2.hybrid_encoder import CSPRepLayer, HybridEncoder as RTDETRHybridEncoder
from benchgen.models.rtdetrv2.layers import ConvNormLayer


class DepthwiseConvNorm(nn.Module):
    """Depthwise conv (no bias) + BatchNorm, no activation; `conv`/`norm` names fold like ConvNormLayer's."""

    def __init__(self, channels: int, kernel_size: int, stride: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, kernel_size, stride, padding=(kernel_size - 1) // 2,
                              groups=channels, bias=False)
        self.norm = nn.BatchNorm2d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.conv(x))


class SCDown(nn.Module):
    def __init__(self, c1: int, c2: int, kernel_size: int, stride: int) -> None:
        super().__init__()
        self.cv1 = ConvNormLayer(c1, c2, 1, 1)
        self.cv2 = DepthwiseConvNorm(c2, kernel_size, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.cv2(self.cv1(x))


class RepNCSPELAN4(nn.Module):
    """1x1 conv to c3 channels, split in halves; the second half feeds two chained branches (a CSP layer of
    RepVGG blocks + a 3x3 conv, c4 channels each); all four maps are concatenated and projected to c2."""

    def __init__(self, c1: int, c2: int, c3: int, c4: int, n: int, act: str) -> None:
        super().__init__()
        self.c = c3 // 2
        self.cv1 = ConvNormLayer(c1, c3, 1, 1, act=act)
        self.cv2 = nn.Sequential(CSPRepLayer(c3 // 2, c4, n, 1.0, act), ConvNormLayer(c4, c4, 3, 1, act=act))
        self.cv3 = nn.Sequential(CSPRepLayer(c4, c4, n, 1.0, act), ConvNormLayer(c4, c4, 3, 1, act=act))
        self.cv4 = ConvNormLayer(c3 + 2 * c4, c2, 1, 1, act=act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = list(self.cv1(x).split((self.c, self.c), 1))
        y.append(self.cv2(y[-1]))
        y.append(self.cv3(y[-1]))
        return self.cv4(torch.cat(y, 1))


class HybridEncoder(RTDETRHybridEncoder):
    def __init__(self, cfg: EncoderConfig) -> None:
        super().__init__(cfg)
        hidden, levels, n = cfg.hidden_dim, len(cfg.in_channels), cfg.blocks_per_stage
        c4 = round(cfg.expansion * hidden // 2)  # the official expression, float floor division included

        def elan() -> RepNCSPELAN4:
            return RepNCSPELAN4(hidden * 2, hidden, hidden * 2, c4, n, cfg.act)

        # replace RT-DETRv2's fusion modules (same attribute names, so the official keys line up)
        self.lateral_convs = nn.ModuleList(ConvNormLayer(hidden, hidden, 1, 1) for _ in range(levels - 1))
        self.fpn_blocks = nn.ModuleList(elan() for _ in range(levels - 1))
        self.downsample_convs = nn.ModuleList(
            nn.Sequential(SCDown(hidden, hidden, 3, 2)) for _ in range(levels - 1))
        self.pan_blocks = nn.ModuleList(elan() for _ in range(levels - 1))
