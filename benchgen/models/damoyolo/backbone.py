"""TinyNAS backbones: the residual form (T, S) and the CSP form (M, L).

Both are built from the same NAS records (variants.yaml); only the way the records are wired differs,
and which wiring a variant uses is itself data (`backbone.kind`).
"""

from __future__ import annotations

import torch
from torch import nn

from .config import BackboneConfig, NASBlock
from .layers import ConvKXBN, ConvKXBNAct, Focus, SPPBottleneck, make_activation
from .repconv import RepConv


class ResConvBlock(nn.Module):
    """Bottleneck residual block: conv1 (1x1 for k1kx, kxk for kxkx) -> act -> RepConv -> (+x) -> act.

    A stride-2 block has no shortcut at all (the official block drops it rather than projecting).
    """

    def __init__(self, in_channels: int, out_channels: int, bottleneck: int, kernel: int, stride: int,
                 act: str, block: str):
        super().__init__()
        self.stride = stride
        first_kernel = 1 if block == "k1kx" else kernel
        self.conv1 = ConvKXBN(in_channels, bottleneck, first_kernel, 1)
        self.conv2 = RepConv(bottleneck, out_channels, stride=stride, act="identity")
        self.activation_function = make_activation(act)
        if in_channels != out_channels and stride != 2:
            self.residual_proj = ConvKXBN(in_channels, out_channels, 1, 1)
        else:
            self.residual_proj = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = self.residual_proj(x) if self.residual_proj is not None else x
        y = self.conv2(self.activation_function(self.conv1(x)))
        if self.stride != 2:
            y = y + shortcut
        return self.activation_function(y)


def _stem(cfg: BackboneConfig) -> nn.Module:
    s = cfg.stem
    if cfg.use_focus:
        return Focus(s.in_channels, s.out_channels, s.kernel, act=cfg.act)
    return ConvKXBNAct(s.in_channels, s.out_channels, s.kernel, s.stride, act=cfg.act)


class SuperResStem(nn.Module):
    """One NAS record of the residual backbone: `L` ResConvBlocks, SPP after the first if requested."""

    def __init__(self, rec: NASBlock, act: str, with_spp: bool, spp_act: str):
        super().__init__()
        self.block_list = nn.ModuleList()
        for i in range(rec.num_layers):
            in_c = rec.in_channels if i == 0 else rec.out_channels
            stride = rec.stride if i == 0 else 1
            self.block_list.append(
                ResConvBlock(in_c, rec.out_channels, rec.bottleneck, rec.kernel, stride, act, rec.block))
            if i == 0 and with_spp:
                self.block_list.append(SPPBottleneck(rec.out_channels, rec.out_channels, act=spp_act))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.block_list:
            x = block(x)
        return x


class TinyNASRes(nn.Module):
    """Stem + one SuperResStem per NAS record; features taken after the blocks in `out_indices`."""

    def __init__(self, cfg: BackboneConfig):
        super().__init__()
        self.out_indices = tuple(cfg.out_indices)
        self.block_list = nn.ModuleList([_stem(cfg)])
        last = len(cfg.blocks) - 1
        for i, rec in enumerate(cfg.blocks):
            self.block_list.append(SuperResStem(rec, cfg.act, cfg.with_spp and i == last, cfg.spp_act))

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        features = []
        for idx, block in enumerate(self.block_list):
            x = block(x)
            if idx in self.out_indices:
                features.append(x)
        return features


def _csp_blocks(rec: NASBlock, act: str) -> list[ResConvBlock]:
    """The residual blocks a NAS record contributes inside a CSP stage (all stride 1, half width).

    A stride-2 record spends its first layer on the stage's downsampler, so it contributes L-1 blocks; a
    stride-1 record's first block takes the full-width input halved.
    """
    half = rec.out_channels // 2
    count = rec.num_layers - 1 if rec.stride == 2 else rec.num_layers
    blocks = []
    for i in range(count):
        in_c = rec.in_channels // 2 if (rec.stride == 1 and i == 0) else half
        blocks.append(ResConvBlock(in_c, half, rec.bottleneck, rec.kernel, 1, act, rec.block))
    return blocks


class CSPWrapper(nn.Module):
    """CSP stage: strided 3x3 downsampler (+SPP), then a split into a shortcut half and a half that runs
    the residual blocks, concatenated and fused by a 1x1 conv."""

    def __init__(self, records: list[NASBlock], block_act: str, csp_act: str, with_spp: bool, spp_act: str):
        super().__init__()
        in_c = records[0].in_channels
        out_c = records[-1].out_channels
        hidden = records[0].out_channels // 2
        # Registration order follows the official module, so state_dict() lists keys in the same order.
        self.convstem = nn.ModuleList(b for rec in records for b in _csp_blocks(rec, block_act))
        self.downsampler = ConvKXBNAct(in_c, hidden * 2, 3, 2, act=csp_act)
        self.spp = SPPBottleneck(hidden * 2, hidden * 2, act=spp_act) if with_spp else None
        if len(self.convstem) > 0:
            self.conv_start = ConvKXBNAct(hidden * 2, hidden, 1, 1, act=csp_act)
            self.conv_shortcut = ConvKXBNAct(hidden * 2, out_c // 2, 1, 1, act=csp_act)
            self.conv_fuse = ConvKXBNAct(out_c, out_c, 1, 1, act=csp_act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.downsampler(x)
        if self.spp is not None:
            x = self.spp(x)
        if len(self.convstem) == 0:
            return x
        shortcut = self.conv_shortcut(x)
        x = self.conv_start(x)
        for block in self.convstem:
            x = block(x)
        return self.conv_fuse(torch.cat((x, shortcut), dim=1))


class TinyNASCSP(nn.Module):
    """Stem + CSP stages, each wrapping the NAS records listed in `csp_groups`."""

    def __init__(self, cfg: BackboneConfig):
        super().__init__()
        self.out_indices = tuple(cfg.out_indices)
        self.csp_stage = nn.ModuleList([_stem(cfg)])
        last = len(cfg.csp_groups) - 1
        for g, group in enumerate(cfg.csp_groups):
            records = [cfg.blocks[i] for i in group]
            self.csp_stage.append(
                CSPWrapper(records, cfg.act, cfg.csp_act, cfg.with_spp and g == last, cfg.spp_act))

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        features = []
        for idx, stage in enumerate(self.csp_stage):
            x = stage(x)
            if idx in self.out_indices:
                features.append(x)
        return features


BACKBONES = {"res": TinyNASRes, "csp": TinyNASCSP}


def build_backbone(cfg: BackboneConfig) -> nn.Module:
    return BACKBONES[cfg.kind](cfg)
