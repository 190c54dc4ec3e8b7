"""Building blocks shared by the backbone, encoder and decoder.

Attribute names follow the official state-dict layout (`conv` / `norm`, `layers.N`), because strict
loading of official checkpoints depends on them.
"""

from __future__ import annotations

import torch
from torch import nn


def activation(name: str | None) -> nn.Module:
    """The module for a config's activation name (None: identity)."""
    if name is None:
        return nn.Identity()
    modules = {"relu": nn.ReLU, "silu": nn.SiLU, "gelu": nn.GELU}
    try:
        return modules[name]()
    except KeyError:
        raise ValueError(f"unknown activation {name!r}; known: {', '.join(modules)}") from None


class FrozenBatchNorm2d(nn.Module):
    """BatchNorm with fixed statistics and affine terms, all stored as buffers.

    The official r50/r101 backbones use it (freeze_norm), which is why their checkpoints have no
    `num_batches_tracked` there and why these scales are not counted as parameters.
    """

    def __init__(self, num_features: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.register_buffer("weight", torch.ones(num_features))
        self.register_buffer("bias", torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))
        self.eps = eps
        self.num_features = num_features

    def scale_and_shift(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-channel y = x * scale + shift, computed as the official layer does."""
        scale = self.weight * (self.running_var + self.eps).rsqrt()
        return scale, self.bias - self.running_mean * scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale, shift = self.scale_and_shift()
        return x * scale.reshape(1, -1, 1, 1) + shift.reshape(1, -1, 1, 1)


class ConvNormLayer(nn.Module):
    """Conv (no bias) + norm + activation; the unit every official conv of RT-DETRv2 is made of."""

    def __init__(self, ch_in: int, ch_out: int, kernel_size: int, stride: int, padding: int | None = None,
                 act: str | None = None, frozen_norm: bool = False) -> None:
        super().__init__()
        self.conv = nn.Conv2d(ch_in, ch_out, kernel_size, stride,
                              padding=(kernel_size - 1) // 2 if padding is None else padding, bias=False)
        self.norm = FrozenBatchNorm2d(ch_out) if frozen_norm else nn.BatchNorm2d(ch_out)
        self.act = activation(act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.norm(self.conv(x)))


class MLP(nn.Module):
    """Linear layers with ReLU between them (none after the last)."""

    def __init__(self, input_dim: int, hidden_dim: int, output_dim: int, num_layers: int) -> None:
        super().__init__()
        dims_in = [input_dim] + [hidden_dim] * (num_layers - 1)
        dims_out = [hidden_dim] * (num_layers - 1) + [output_dim]
        self.layers = nn.ModuleList(nn.Linear(i, o) for i, o in zip(dims_in, dims_out))
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < last:
                x = self.act(x)
        return x


class MultiheadAttention(nn.Module):
    """Batch-first scaled dot-product attention with nn.MultiheadAttention's parameter layout.

    Written out (rather than nn.MultiheadAttention) so the exported graph is plain MatMul/Softmax with
    a symbolic batch only where it must be, and no fast-path dispatch changes numerics between eval calls.
    """

    def __init__(self, embed_dim: int, num_heads: int) -> None:
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim {embed_dim} is not divisible by num_heads {num_heads}")
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.head_dim = embed_dim // num_heads
        self.in_proj_weight = nn.Parameter(torch.empty(3 * embed_dim, embed_dim))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * embed_dim))
        self.out_proj = nn.Linear(embed_dim, embed_dim)
        nn.init.xavier_uniform_(self.in_proj_weight)

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        # (N, L, C) -> (N, heads, L, head_dim); batch as -1 keeps an exported graph free of Shape ops
        return x.reshape(-1, int(x.shape[1]), self.num_heads, self.head_dim).transpose(1, 2)

    def forward(self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
        w_q, w_k, w_v = self.in_proj_weight.chunk(3)
        b_q, b_k, b_v = self.in_proj_bias.chunk(3)
        q = self._heads(nn.functional.linear(query, w_q, b_q)) * self.head_dim ** -0.5
        k = self._heads(nn.functional.linear(key, w_k, b_k))
        v = self._heads(nn.functional.linear(value, w_v, b_v))
        weights = torch.softmax(q @ k.transpose(-2, -1), dim=-1)
        out = (weights @ v).transpose(1, 2).reshape(-1, int(query.shape[1]), self.embed_dim)
        return self.out_proj(out)


def gather_rows(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """x (N, L, C), index (N, K) -> (N, K, C): the rows `index` of each batch element.

    Written as one gather over (N, L * C) with element indices index * C + column, so an exported
    graph needs neither shape arithmetic nor Expand/Tile for a symbolic batch.
    """
    rows, k, c = int(x.shape[1]), int(index.shape[1]), int(x.shape[2])
    columns = torch.arange(c, device=index.device)
    flat = (index.unsqueeze(-1) * c + columns).reshape(-1, k * c)
    return x.reshape(-1, rows * c).gather(1, flat).reshape(-1, k, c)
