"""Fine-grained Distribution Refinement arithmetic: box edges as distributions over fixed offsets.

Each decoder layer predicts, per box edge, logits over reg_max + 1 bins; the edge offset is the
expectation sum_n Pr(n) W(n) over the non-uniform weighting function W, and the offsets move the
edges of the first layer's box (distance2bbox). Layers add their corner logits to the previous
layer's, so later layers refine the same distributions. Written after the official
src/zoo/dfine/dfine_utils.py and dfine_decoder.Integral.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def weighting_function(reg_max: int, up: torch.Tensor, reg_scale: torch.Tensor) -> torch.Tensor:
    """W(n), n = 0..reg_max, from the `up` and `reg_scale` parameters, in torch as the official eval computes it.

    W is 0 in the middle, grows geometrically to +/- up * reg_scale towards both ends, and its two
    end bins sit at +/- 2 * up * reg_scale.
    """
    upper1 = abs(up[0]) * abs(reg_scale)
    upper2 = abs(up[0]) * abs(reg_scale) * 2
    step = (upper1 + 1) ** (2 / (reg_max - 2))
    left = [-(step ** i) + 1 for i in range(reg_max // 2 - 1, 0, -1)]
    right = [step ** i - 1 for i in range(1, reg_max // 2)]
    return torch.cat([-upper2, *left, torch.zeros_like(up[0][None]), *right, upper2], 0)


def deploy_weighting_function(reg_max: int, up: float, reg_scale: float) -> torch.Tensor:
    """W(n) as the official deploy conversion freezes it: Python (double) arithmetic, stored as float32."""
    upper1 = abs(up) * abs(reg_scale)
    upper2 = abs(up) * abs(reg_scale) * 2
    step = (upper1 + 1) ** (2 / (reg_max - 2))
    left = [-(step ** i) + 1 for i in range(reg_max // 2 - 1, 0, -1)]
    right = [step ** i - 1 for i in range(1, reg_max // 2)]
    return torch.tensor([-upper2, *left, 0.0, *right, upper2], dtype=torch.float32)


def integral(corners: torch.Tensor, project: torch.Tensor, reg_max: int) -> torch.Tensor:
    """(..., 4 * (reg_max + 1)) corner logits -> (..., 4) edge offsets: softmax per edge, then sum Pr(n) W(n)."""
    inner = [int(s) for s in corners.shape[1:-1]]  # batch as -1: no Shape ops in an exported graph
    prob = F.softmax(corners.reshape(-1, reg_max + 1), dim=1)
    return F.linear(prob, project).reshape([-1, *inner, 4])


def distance2bbox(points: torch.Tensor, distance: torch.Tensor, reg_scale: torch.Tensor) -> torch.Tensor:
    """Move the edges of boxes `points` (cx, cy, w, h) by `distance` (left, top, right, bottom, in units of
    the box size / reg_scale); returns cx, cy, w, h."""
    reg_scale = abs(reg_scale)
    x1 = points[..., 0] - (0.5 * reg_scale + distance[..., 0]) * (points[..., 2] / reg_scale)
    y1 = points[..., 1] - (0.5 * reg_scale + distance[..., 1]) * (points[..., 3] / reg_scale)
    x2 = points[..., 0] + (0.5 * reg_scale + distance[..., 2]) * (points[..., 2] / reg_scale)
    y2 = points[..., 1] + (0.5 * reg_scale + distance[..., 3]) * (points[..., 3] / reg_scale)
    return torch.stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], -1)
