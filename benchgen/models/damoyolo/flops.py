"""Multiply-accumulate count of a forward pass, from forward hooks on conv and linear layers.

Published DAMO-YOLO GFLOPs are 2 x MACs of these layers (thop); pooling, activations, BatchNorm and the
box decode are a rounding error next to them, so counting only the weighted layers reproduces the
published numbers within 1 % without a profiler dependency.
"""

from __future__ import annotations

import torch
from torch import nn


def count_macs(model: nn.Module, inputs: torch.Tensor) -> int:
    """MACs of one forward pass of `model` on `inputs` (all images of the batch together)."""
    total = 0

    def conv_hook(module: nn.Conv2d, _inp, out: torch.Tensor) -> None:
        nonlocal total
        kh, kw = module.kernel_size
        total += out.numel() * (module.in_channels // module.groups) * kh * kw

    def linear_hook(module: nn.Linear, _inp, out: torch.Tensor) -> None:
        nonlocal total
        total += out.numel() * module.in_features

    handles = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            handles.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            handles.append(m.register_forward_hook(linear_hook))
    try:
        with torch.no_grad():
            model(inputs)
    finally:
        for h in handles:
            h.remove()
    return total
