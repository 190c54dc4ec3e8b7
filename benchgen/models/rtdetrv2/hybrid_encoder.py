"""Hybrid encoder: attention within the coarsest level (AIFI), convolutional fusion across levels (CCFM).

Self-attention runs only where it is cheap and most useful (the stride-32 map, 400 tokens at 640 px);
the other levels are mixed in by a top-down FPN and a bottom-up PAN of CSP layers whose RepVGG blocks
collapse into single 3x3 convs for deployment.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

from .config import EncoderConfig
from .layers import ConvNormLayer, MultiheadAttention, activation
from .reparam import conv_with, folded_kernel_bias, pad_1x1_to_3x3


class RepVggBlock(nn.Module):
    """3x3 conv-BN + 1x1 conv-BN, summed, then the activation; one 3x3 conv after `switch_to_deploy`."""

    def __init__(self, ch_in: int, ch_out: int, act: str) -> None:
        super().__init__()
        self.conv1 = ConvNormLayer(ch_in, ch_out, 3, 1, padding=1)
        self.conv2 = ConvNormLayer(ch_in, ch_out, 1, 1, padding=0)
        self.act = activation(act)

    @property
    def deployed(self) -> bool:
        return hasattr(self, "conv")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x) if self.deployed else self.conv1(x) + self.conv2(x)
        return self.act(y)

    @torch.no_grad()
    def switch_to_deploy(self) -> None:
        """Fold both branches into one biased 3x3 conv (exact up to float rounding)."""
        if self.deployed:
            return
        k3, b3 = folded_kernel_bias(self.conv1.conv, self.conv1.norm)
        k1, b1 = folded_kernel_bias(self.conv2.conv, self.conv2.norm)
        self.conv = conv_with(self.conv1.conv, k3 + pad_1x1_to_3x3(k1), b3 + b1)
        del self.conv1, self.conv2


class CSPRepLayer(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, num_blocks: int, expansion: float, act: str) -> None:
        super().__init__()
        hidden = int(out_channels * expansion)
        self.conv1 = ConvNormLayer(in_channels, hidden, 1, 1, act=act)
        self.conv2 = ConvNormLayer(in_channels, hidden, 1, 1, act=act)
        self.bottlenecks = nn.Sequential(*[RepVggBlock(hidden, hidden, act) for _ in range(num_blocks)])
        # no conv3 (and no state-dict entry) when the hidden width already is the output width
        self.conv3 = ConvNormLayer(hidden, out_channels, 1, 1, act=act) if hidden != out_channels else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv3(self.bottlenecks(self.conv1(x)) + self.conv2(x))


class TransformerEncoderLayer(nn.Module):
    """Post-norm transformer layer; the position embedding is added to queries and keys only."""

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int, act: str) -> None:
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead)
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.activation = activation(act)

    def forward(self, src: torch.Tensor, pos_embed: torch.Tensor) -> torch.Tensor:
        q = k = src + pos_embed
        src = self.norm1(src + self.self_attn(q, k, src))
        return self.norm2(src + self.linear2(self.activation(self.linear1(src))))


class TransformerEncoder(nn.Module):
    def __init__(self, num_layers: int, d_model: int, nhead: int, dim_feedforward: int, act: str) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            TransformerEncoderLayer(d_model, nhead, dim_feedforward, act) for _ in range(num_layers))

    def forward(self, src: torch.Tensor, pos_embed: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            src = layer(src, pos_embed)
        return src


def sincos_position_embedding(w: int, h: int, embed_dim: int, temperature: float) -> torch.Tensor:
    """(1, w*h, embed_dim) fixed 2-D sin-cos embedding, laid out exactly as the official one.

    The official grid is meshgrid(w, h, indexing='ij') flattened, i.e. its first coordinate varies
    slowest; on the square maps RT-DETRv2 runs on this pairs the 'w' frequencies with the row index.
    Kept as is: the checkpoints were trained with it.
    """
    if embed_dim % 4:
        raise ValueError("embed_dim must be divisible by 4 for the 2-D sin-cos position embedding")
    grid_w, grid_h = torch.meshgrid(torch.arange(int(w), dtype=torch.float32),
                                    torch.arange(int(h), dtype=torch.float32), indexing="ij")
    pos_dim = embed_dim // 4
    omega = 1.0 / (temperature ** (torch.arange(pos_dim, dtype=torch.float32) / pos_dim))
    out_w = grid_w.flatten()[:, None] @ omega[None]
    out_h = grid_h.flatten()[:, None] @ omega[None]
    return torch.cat([out_w.sin(), out_w.cos(), out_h.sin(), out_h.cos()], dim=1)[None]


class HybridEncoder(nn.Module):
    def __init__(self, cfg: EncoderConfig) -> None:
        super().__init__()
        self.cfg = cfg
        hidden, act = cfg.hidden_dim, cfg.act
        self.input_proj = nn.ModuleList(
            nn.Sequential(OrderedDict([
                ("conv", nn.Conv2d(c, hidden, kernel_size=1, bias=False)),
                ("norm", nn.BatchNorm2d(hidden)),
            ]))
            for c in cfg.in_channels
        )
        self.encoder = nn.ModuleList(
            TransformerEncoder(cfg.num_encoder_layers, hidden, cfg.nhead, cfg.dim_feedforward, cfg.enc_act)
            for _ in cfg.use_encoder_idx
        )
        levels = len(cfg.in_channels)
        n = cfg.blocks_per_stage
        self.lateral_convs = nn.ModuleList(ConvNormLayer(hidden, hidden, 1, 1, act=act) for _ in range(levels - 1))
        self.fpn_blocks = nn.ModuleList(
            CSPRepLayer(hidden * 2, hidden, n, cfg.expansion, act) for _ in range(levels - 1))
        self.downsample_convs = nn.ModuleList(
            ConvNormLayer(hidden, hidden, 3, 2, act=act) for _ in range(levels - 1))
        self.pan_blocks = nn.ModuleList(
            CSPRepLayer(hidden * 2, hidden, n, cfg.expansion, act) for _ in range(levels - 1))

    def forward(self, feats: list[torch.Tensor]) -> list[torch.Tensor]:
        cfg = self.cfg
        proj = [p(f) for p, f in zip(self.input_proj, feats)]

        for encoder, idx in zip(self.encoder, cfg.use_encoder_idx):
            h, w = (int(s) for s in proj[idx].shape[2:])
            tokens = proj[idx].reshape(-1, cfg.hidden_dim, h * w).permute(0, 2, 1)
            pos = sincos_position_embedding(w, h, cfg.hidden_dim, cfg.pe_temperature).to(tokens)
            memory = encoder(tokens, pos)
            proj[idx] = memory.permute(0, 2, 1).reshape(-1, cfg.hidden_dim, h, w)

        # top-down: coarsest first; each lateral conv output also replaces the coarse map for the PAN
        levels = len(proj)
        inner = [proj[-1]]
        for i, idx in enumerate(range(levels - 1, 0, -1)):
            high = self.lateral_convs[i](inner[0])
            inner[0] = high
            up = F.interpolate(high, scale_factor=2.0, mode="nearest")
            inner.insert(0, self.fpn_blocks[i](torch.cat([up, proj[idx - 1]], dim=1)))

        # bottom-up
        outs = [inner[0]]
        for i in range(levels - 1):
            down = self.downsample_convs[i](outs[-1])
            outs.append(self.pan_blocks[i](torch.cat([down, inner[i + 1]], dim=1)))
        return outs
