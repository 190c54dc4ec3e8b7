"""Multi-scale deformable cross-attention as RT-DETRv2 defines it.

Each query looks at a few learned points around its reference box on every level (v2: a different
number of points per level), bilinearly sampled with grid_sample and mixed by softmax weights. Offsets
are scaled by the box size and by 1 / points-on-that-level (the `num_points_scale` buffer, which is part
of the official state dict and therefore taken from the checkpoint).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def deformable_sample(value: torch.Tensor, spatial_shapes: list[tuple[int, int]], locations: torch.Tensor,
                      weights: torch.Tensor, num_points: list[int]) -> torch.Tensor:
    """Weighted sum of bilinear samples ('default' method: grid_sample, zeros padding, align_corners=False).

    value: (N, Lv, heads, c) for all levels concatenated; locations: (N, Lq, heads, P, 2) as x, y in
    0..1 over each level; weights: (N, Lq, heads, P), P = sum(num_points). Returns (N, Lq, heads * c).
    """
    heads, c, len_q = int(value.shape[2]), int(value.shape[3]), int(locations.shape[1])
    len_v, points = int(value.shape[1]), sum(num_points)
    # (N, Lv, heads, c) -> (N * heads, c, Lv), one chunk per level
    per_level = value.permute(0, 2, 3, 1).reshape(-1, c, len_v).split([h * w for h, w in spatial_shapes], dim=-1)
    # (N, Lq, heads, P, 2) -> (N * heads, Lq, P, 2) in grid_sample's -1..1 range, one chunk per level
    grids = (2 * locations - 1).permute(0, 2, 1, 3, 4).reshape(-1, len_q, points, 2).split(num_points, dim=-2)
    samples = [
        F.grid_sample(v.reshape(-1, c, h, w), g, mode="bilinear", padding_mode="zeros", align_corners=False)
        for v, g, (h, w) in zip(per_level, grids, spatial_shapes)
    ]  # each (N * heads, c, Lq, points on the level)
    mix = weights.permute(0, 2, 1, 3).reshape(-1, 1, len_q, points)
    out = (torch.cat(samples, dim=-1) * mix).sum(-1)  # (N * heads, c, Lq)
    return out.reshape(-1, heads * c, len_q).permute(0, 2, 1)


class MSDeformableAttention(nn.Module):
    def __init__(self, embed_dim: int, num_heads: int, num_points: list[int], offset_scale: float = 0.5) -> None:
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim {embed_dim} is not divisible by num_heads {num_heads}")
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.head_dim = embed_dim // num_heads
        self.num_points = list(num_points)
        self.offset_scale = offset_scale
        scale = [1.0 / n for n in self.num_points for _ in range(n)]
        self.register_buffer("num_points_scale", torch.tensor(scale, dtype=torch.float32))
        total = num_heads * sum(self.num_points)
        self.sampling_offsets = nn.Linear(embed_dim, total * 2)
        self.attention_weights = nn.Linear(embed_dim, total)
        self.value_proj = nn.Linear(embed_dim, embed_dim)
        self.output_proj = nn.Linear(embed_dim, embed_dim)

    def forward(self, query: torch.Tensor, reference_boxes: torch.Tensor, value: torch.Tensor,
                spatial_shapes: list[tuple[int, int]]) -> torch.Tensor:
        """query (N, Lq, C); reference_boxes (N, Lq, 1, 4) cx, cy, w, h in 0..1; value (N, Lv, C)."""
        len_q, len_v = int(query.shape[1]), int(value.shape[1])
        points = sum(self.num_points)
        value = self.value_proj(value).reshape(-1, len_v, self.num_heads, self.head_dim)
        offsets = self.sampling_offsets(query).reshape(-1, len_q, self.num_heads, points, 2)
        weights = self.attention_weights(query).reshape(-1, len_q, self.num_heads, points).softmax(-1)
        # offsets are relative to the box: scaled by its w, h, by 1/points-per-level and by offset_scale
        scale = self.num_points_scale.to(query.dtype).unsqueeze(-1)
        boxes = reference_boxes[:, :, None]  # (N, Lq, 1, 1, 4)
        locations = boxes[..., :2] + offsets * scale * boxes[..., 2:] * self.offset_scale
        out = deformable_sample(value, spatial_shapes, locations, weights, self.num_points)
        return self.output_proj(out)
