"""HGNetv2, the backbone of D-FINE, as its official implementation (after PaddleDetection's) lays it out.

A stem of strided and 2x2 convs with a max-pool branch, then four stages of HG blocks: each block
runs a chain of convs (light blocks: 1x1 then depthwise), concatenates every intermediate map with
the input and aggregates them with two 1x1 convs. N/S/M (use_lab) put a learnable scalar affine
after every activation; L/X freeze their BatchNorms (buffers only, as in the official checkpoints).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from benchgen.models.rtdetrv2.layers import FrozenBatchNorm2d
from benchgen.models.rtdetrv2.reparam import conv_with, folded_kernel_bias

from .config import BackboneConfig, StageConfig


class LearnableAffineBlock(nn.Module):
    """y = scale * x + bias with two learned scalars."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.tensor([1.0]))
        self.bias = nn.Parameter(torch.tensor([0.0]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.scale * x + self.bias


class ConvBNAct(nn.Module):
    """conv (no bias) + bn + ReLU (+ affine); `fuse` folds the bn into the conv for deployment."""

    def __init__(self, ch_in: int, ch_out: int, kernel_size: int, stride: int = 1, groups: int = 1,
                 use_act: bool = True, use_lab: bool = False, frozen_norm: bool = False) -> None:
        super().__init__()
        self.conv = nn.Conv2d(ch_in, ch_out, kernel_size, stride, padding=(kernel_size - 1) // 2, groups=groups,
                              bias=False)
        self.bn = FrozenBatchNorm2d(ch_out) if frozen_norm else nn.BatchNorm2d(ch_out)
        self.act = nn.ReLU() if use_act else nn.Identity()
        self.lab = LearnableAffineBlock() if use_act and use_lab else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lab(self.act(self.bn(self.conv(x))))

    @torch.no_grad()
    def fuse(self) -> None:
        if isinstance(self.bn, nn.Identity):
            return
        self.conv = conv_with(self.conv, *folded_kernel_bias(self.conv, self.bn))
        self.bn = nn.Identity()


class LightConvBNAct(nn.Module):
    def __init__(self, ch_in: int, ch_out: int, kernel_size: int, use_lab: bool, frozen_norm: bool) -> None:
        super().__init__()
        self.conv1 = ConvBNAct(ch_in, ch_out, 1, use_act=False, use_lab=use_lab, frozen_norm=frozen_norm)
        self.conv2 = ConvBNAct(ch_out, ch_out, kernel_size, groups=ch_out, use_act=True, use_lab=use_lab,
                               frozen_norm=frozen_norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv2(self.conv1(x))


class StemBlock(nn.Module):
    def __init__(self, ch_in: int, ch_mid: int, ch_out: int, use_lab: bool, frozen_norm: bool) -> None:
        super().__init__()
        kw = dict(use_lab=use_lab, frozen_norm=frozen_norm)
        self.stem1 = ConvBNAct(ch_in, ch_mid, 3, 2, **kw)
        self.stem2a = ConvBNAct(ch_mid, ch_mid // 2, 2, 1, **kw)
        self.stem2b = ConvBNAct(ch_mid // 2, ch_mid, 2, 1, **kw)
        self.stem3 = ConvBNAct(ch_mid * 2, ch_mid, 3, 2, **kw)
        self.stem4 = ConvBNAct(ch_mid, ch_out, 1, 1, **kw)
        self.pool = nn.MaxPool2d(kernel_size=2, stride=1, ceil_mode=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.pad(self.stem1(x), (0, 1, 0, 1))  # the 2x2 convs and the pool keep the size on a padded map
        branch = self.stem2b(F.pad(self.stem2a(x), (0, 1, 0, 1)))
        x = torch.cat([self.pool(x), branch], dim=1)
        return self.stem4(self.stem3(x))


class HGBlock(nn.Module):
    """The official stages pass agg='se': aggregation is a 1x1 squeeze conv then a 1x1 excitation conv."""

    def __init__(self, ch_in: int, ch_mid: int, ch_out: int, layer_num: int, kernel_size: int, residual: bool,
                 light_block: bool, use_lab: bool, frozen_norm: bool) -> None:
        super().__init__()
        self.residual = residual
        kw = dict(use_lab=use_lab, frozen_norm=frozen_norm)
        self.layers = nn.ModuleList(
            LightConvBNAct(ch_in if i == 0 else ch_mid, ch_mid, kernel_size, **kw) if light_block
            else ConvBNAct(ch_in if i == 0 else ch_mid, ch_mid, kernel_size, 1, **kw)
            for i in range(layer_num)
        )
        total = ch_in + layer_num * ch_mid
        self.aggregation = nn.Sequential(ConvBNAct(total, ch_out // 2, 1, 1, **kw),
                                         ConvBNAct(ch_out // 2, ch_out, 1, 1, **kw))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x
        outputs = [x]
        for layer in self.layers:
            x = layer(x)
            outputs.append(x)
        x = self.aggregation(torch.cat(outputs, dim=1))
        return x + identity if self.residual else x


class HGStage(nn.Module):
    def __init__(self, cfg: StageConfig, use_lab: bool, frozen_norm: bool) -> None:
        super().__init__()
        c = cfg.in_channels
        self.downsample = (ConvBNAct(c, c, 3, 2, groups=c, use_act=False, use_lab=use_lab, frozen_norm=frozen_norm)
                           if cfg.downsample else nn.Identity())
        self.blocks = nn.Sequential(*[
            HGBlock(c if i == 0 else cfg.out_channels, cfg.mid_channels, cfg.out_channels, cfg.layer_num,
                    cfg.kernel_size, residual=i > 0, light_block=cfg.light_block, use_lab=use_lab,
                    frozen_norm=frozen_norm)
            for i in range(cfg.num_blocks)
        ])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.downsample(x))


class HGNetv2(nn.Module):
    """images -> the feature maps of the stages in return_idx (strides 4, 8, 16, 32 for stages 0..3)."""

    def __init__(self, cfg: BackboneConfig) -> None:
        super().__init__()
        self.return_idx = list(cfg.return_idx)
        self.out_channels = cfg.out_channels
        c_in, c_mid, c_out = cfg.stem_channels
        self.stem = StemBlock(c_in, c_mid, c_out, cfg.use_lab, cfg.freeze_norm)
        self.stages = nn.ModuleList(HGStage(s, cfg.use_lab, cfg.freeze_norm) for s in cfg.stages)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = self.stem(x)
        outs = []
        for i, stage in enumerate(self.stages):
            x = stage(x)
            if i in self.return_idx:
                outs.append(x)
        return outs
