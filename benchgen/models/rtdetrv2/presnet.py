"""PResNet: the ResNet-vd backbone of RT-DETRv2 (r18vd / r34vd / r50vd / r101vd).

"vd" is ResNet-D: a stem of three 3x3 convs instead of one 7x7, and on strided stages a shortcut that
average-pools before its 1x1 conv, so the shortcut sees every input pixel.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

from .config import BackboneConfig
from .layers import ConvNormLayer, activation

STAGE_WIDTHS = (64, 128, 256, 512)
STEM_WIDTH = 64


def _shortcut(ch_in: int, ch_out: int, stride: int, frozen: bool) -> nn.Module:
    if stride == 2:
        return nn.Sequential(OrderedDict([
            ("pool", nn.AvgPool2d(2, 2, 0, ceil_mode=True)),
            ("conv", ConvNormLayer(ch_in, ch_out, 1, 1, frozen_norm=frozen)),
        ]))
    return ConvNormLayer(ch_in, ch_out, 1, stride, frozen_norm=frozen)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, ch_in: int, ch_out: int, stride: int, shortcut: bool, act: str, frozen: bool) -> None:
        super().__init__()
        self.shortcut = shortcut
        if not shortcut:  # the first block of every stage projects, even when shapes already match
            self.short = _shortcut(ch_in, ch_out, stride, frozen)
        self.branch2a = ConvNormLayer(ch_in, ch_out, 3, stride, act=act, frozen_norm=frozen)
        self.branch2b = ConvNormLayer(ch_out, ch_out, 3, 1, frozen_norm=frozen)
        self.act = activation(act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.branch2b(self.branch2a(x))
        return self.act(out + (x if self.shortcut else self.short(x)))


class BottleNeck(nn.Module):
    expansion = 4

    def __init__(self, ch_in: int, ch_out: int, stride: int, shortcut: bool, act: str, frozen: bool) -> None:
        super().__init__()
        # ResNet-b/d stride on the 3x3 conv, not the first 1x1
        self.branch2a = ConvNormLayer(ch_in, ch_out, 1, 1, act=act, frozen_norm=frozen)
        self.branch2b = ConvNormLayer(ch_out, ch_out, 3, stride, act=act, frozen_norm=frozen)
        self.branch2c = ConvNormLayer(ch_out, ch_out * self.expansion, 1, 1, frozen_norm=frozen)
        self.shortcut = shortcut
        if not shortcut:
            self.short = _shortcut(ch_in, ch_out * self.expansion, stride, frozen)
        self.act = activation(act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.branch2c(self.branch2b(self.branch2a(x)))
        return self.act(out + (x if self.shortcut else self.short(x)))


BLOCK_TYPES: dict[str, type[BasicBlock] | type[BottleNeck]] = {"basic": BasicBlock, "bottleneck": BottleNeck}


class Blocks(nn.Module):
    """One stage: the first block changes width (and stride, except in the first stage)."""

    def __init__(self, block: type[nn.Module], ch_in: int, ch_out: int, count: int, first_stage: bool,
                 act: str, frozen: bool) -> None:
        super().__init__()
        self.blocks = nn.ModuleList()
        for i in range(count):
            stride = 2 if i == 0 and not first_stage else 1
            self.blocks.append(block(ch_in, ch_out, stride, i > 0, act, frozen))
            ch_in = ch_out * block.expansion

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x)
        return x


class PResNet(nn.Module):
    def __init__(self, cfg: BackboneConfig) -> None:
        super().__init__()
        frozen, act = cfg.freeze_norm, cfg.act
        half = STEM_WIDTH // 2
        stem = [(3, half, 2, "conv1_1"), (half, half, 1, "conv1_2"), (half, STEM_WIDTH, 1, "conv1_3")]
        self.conv1 = nn.Sequential(OrderedDict(
            (name, ConvNormLayer(cin, cout, 3, s, act=act, frozen_norm=frozen)) for cin, cout, s, name in stem))
        block = BLOCK_TYPES[cfg.block]
        ch_in = STEM_WIDTH
        self.res_layers = nn.ModuleList()
        for i, (width, count) in enumerate(zip(STAGE_WIDTHS, cfg.block_nums)):
            self.res_layers.append(Blocks(block, ch_in, width, count, i == 0, act, frozen))
            ch_in = width * block.expansion
        self.return_idx = cfg.return_idx
        self.out_channels = [STAGE_WIDTHS[i] * block.expansion for i in cfg.return_idx]

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = F.max_pool2d(self.conv1(x), kernel_size=3, stride=2, padding=1)
        outs = []
        for idx, stage in enumerate(self.res_layers):
            x = stage(x)
            if idx in self.return_idx:
                outs.append(x)
        return outs
