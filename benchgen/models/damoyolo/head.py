"""ZeroHead: one 3x3 conv per task and level, GFL distribution boxes decoded in the graph.

The decode is part of the network (as in the official eval path before NMS), so an exported model
already gives per-class scores and x1,y1,x2,y2 boxes in input pixels and NMS is the only thing left.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .config import HeadConfig


class Scale(nn.Module):
    """A learnt scalar multiplier on the regression logits of one level."""

    def __init__(self, value: float = 1.0):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(value, dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale


class Integral(nn.Module):
    """Expected value of the discretised distance distribution (softmax over reg_max + 1 bins).

    `project` is a buffer saved in the checkpoints (normally 0..reg_max); it is read, not assumed.
    """

    def __init__(self, reg_max: int):
        super().__init__()
        self.reg_max = reg_max
        self.register_buffer("project", torch.linspace(0, reg_max, reg_max + 1))

    def forward(self, logits: torch.Tensor) -> torch.Tensor:
        """(N, 4 * (reg_max + 1), A) logits -> (N, 4, A) distances in stride units."""
        # Explicit sizes (batch left as -1) give the exporter one constant Reshape, not a Shape chain.
        prob = F.softmax(logits.reshape(-1, 4, self.reg_max + 1, int(logits.shape[-1])), dim=2)
        return (prob * self.project.reshape(1, 1, -1, 1)).sum(dim=2)


def _level_anchors(height: int, width: int, stride: int) -> torch.Tensor:
    """(2, H*W) x, y of each cell's top-left corner in input pixels (the official priors: no +0.5)."""
    ys, xs = torch.meshgrid(torch.arange(height, dtype=torch.float32), torch.arange(width, dtype=torch.float32),
                            indexing="ij")
    return torch.stack([xs.reshape(-1), ys.reshape(-1)]) * stride


class ZeroHead(nn.Module):
    def __init__(self, cfg: HeadConfig):
        super().__init__()
        self.num_classes = cfg.num_classes
        self.strides = tuple(cfg.strides)
        self.integral = Integral(cfg.reg_max)
        self.gfl_cls = nn.ModuleList(nn.Conv2d(c, cfg.num_classes, 3, padding=1) for c in cfg.in_channels)
        self.gfl_reg = nn.ModuleList(nn.Conv2d(c, 4 * (cfg.reg_max + 1), 3, padding=1) for c in cfg.in_channels)
        self.scales = nn.ModuleList(Scale(1.0) for _ in cfg.strides)
        self._decode_cache: dict[tuple, tuple[torch.Tensor, torch.Tensor]] = {}

    def _decode_constants(self, sizes: tuple[tuple[int, int], ...], device: torch.device):
        """Anchor points (1, 4, A) as x, y, x, y and signed strides (1, 4, A) as -s, -s, +s, +s.

        Computed from Python ints, so a traced export sees them as constants, and cached per shape.
        """
        key = (sizes, str(device))
        if key not in self._decode_cache:
            points, strides = [], []
            for (h, w), s in zip(sizes, self.strides):
                points.append(_level_anchors(h, w, s))
                strides.append(torch.full((h * w,), float(s)))
            xy = torch.cat(points, dim=1)
            st = torch.cat(strides)
            anchors = torch.cat([xy, xy]).unsqueeze(0).to(device)
            signed = (torch.tensor([-1.0, -1.0, 1.0, 1.0]).unsqueeze(1) * st).unsqueeze(0).to(device)
            self._decode_cache[key] = (anchors, signed)
        return self._decode_cache[key]

    def forward(self, features: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, torch.Tensor]:
        """Neck features -> scores (N, A, classes) after sigmoid, boxes (N, A, 4) x1,y1,x2,y2 in pixels."""
        cls_logits, reg_logits, sizes = [], [], []
        for x, cls_conv, reg_conv, scale in zip(features, self.gfl_cls, self.gfl_reg, self.scales):
            # Python ints, so a traced export gets constant shapes (the spatial size is fixed there).
            h, w = int(x.shape[-2]), int(x.shape[-1])
            sizes.append((h, w))
            cls_logits.append(cls_conv(x).reshape(-1, self.num_classes, h * w))
            reg = scale(reg_conv(x))
            reg_logits.append(reg.reshape(-1, int(reg.shape[1]), h * w))
        scores = torch.cat(cls_logits, dim=2).sigmoid().transpose(1, 2)
        distances = self.integral(torch.cat(reg_logits, dim=2))
        anchors, signed_strides = self._decode_constants(tuple(sizes), distances.device)
        boxes = (anchors + distances * signed_strides).transpose(1, 2)
        return scores, boxes
