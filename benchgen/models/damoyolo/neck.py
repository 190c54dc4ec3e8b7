"""GiraffeNeckV2 (RepGFPN): the heavy, re-parameterisable feature pyramid of DAMO-YOLO.

Node names (x3 ... x7, merge_*, bu_conv*) follow the official module so the state-dict keys match.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .config import NeckConfig
from .layers import ConvBNAct
from .repconv import RepConv


class BasicBlock3x3Reverse(nn.Module):
    """RepConv 3x3 (to the hidden width) -> ConvBNAct 3x3 (back), plus the input: the CSP inner block."""

    def __init__(self, channels: int, hidden_ratio: float, act: str):
        super().__init__()
        hidden = int(channels * hidden_ratio)
        self.conv1 = ConvBNAct(hidden, channels, 3, 1, act=act)
        self.conv2 = RepConv(channels, hidden, 1, act=act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv1(self.conv2(x))


class CSPStage(nn.Module):
    """Split by two 1x1 convs; one half runs `n` blocks, every intermediate output is concatenated."""

    def __init__(self, in_channels: int, hidden_ratio: float, out_channels: int, n: int, act: str):
        super().__init__()
        first = out_channels // 2
        mid = out_channels - first
        self.conv1 = ConvBNAct(in_channels, first, 1, act=act)
        self.conv2 = ConvBNAct(in_channels, mid, 1, act=act)
        self.convs = nn.Sequential(*(BasicBlock3x3Reverse(mid, hidden_ratio, act) for _ in range(n)))
        self.conv3 = ConvBNAct(mid * n + first, out_channels, 1, act=act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outs = [self.conv1(x)]
        y = self.conv2(x)
        for block in self.convs:
            y = block(y)
            outs.append(y)
        return self.conv3(torch.cat(outs, dim=1))


def _upsample(x: torch.Tensor) -> torch.Tensor:
    return F.interpolate(x, scale_factor=2.0, mode="nearest")


class GiraffeNeckV2(nn.Module):
    """Top-down then bottom-up fusion with queen-fusion links over strides 8/16/32."""

    def __init__(self, cfg: NeckConfig):
        super().__init__()
        c_in, c_out, act = cfg.in_channels, cfg.out_channels, cfg.act
        ratio, n = cfg.hidden_ratio, cfg.blocks_per_stage
        # Registration order follows the official module, so state_dict() lists keys in the same order.
        self.bu_conv13 = ConvBNAct(c_in[1], c_in[1], 3, 2, act=act)
        self.merge_3 = CSPStage(c_in[1] + c_in[2], ratio, c_in[2], n, act)
        self.bu_conv24 = ConvBNAct(c_in[0], c_in[0], 3, 2, act=act)
        self.merge_4 = CSPStage(c_in[0] + c_in[1] + c_in[2], ratio, c_in[1], n, act)
        self.merge_5 = CSPStage(c_in[1] + c_in[0], ratio, c_out[0], n, act)
        self.bu_conv57 = ConvBNAct(c_out[0], c_out[0], 3, 2, act=act)
        self.merge_7 = CSPStage(c_out[0] + c_in[1], ratio, c_out[1], n, act)
        self.bu_conv46 = ConvBNAct(c_in[1], c_in[1], 3, 2, act=act)
        self.bu_conv76 = ConvBNAct(c_out[1], c_out[1], 3, 2, act=act)
        self.merge_6 = CSPStage(c_in[1] + c_out[1] + c_in[2], ratio, c_out[2], n, act)

    def forward(self, features: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x2, x1, x0 = features  # strides 8, 16, 32
        x3 = self.merge_3(torch.cat([x0, self.bu_conv13(x1)], 1))
        x4 = self.merge_4(torch.cat([x1, self.bu_conv24(x2), _upsample(x3)], 1))
        x5 = self.merge_5(torch.cat([x2, _upsample(x4)], 1))
        x7 = self.merge_7(torch.cat([x4, self.bu_conv57(x5)], 1))
        x6 = self.merge_6(torch.cat([x3, self.bu_conv46(x4), self.bu_conv76(x7)], 1))
        return x5, x7, x6
