"""Exact re-parameterisation arithmetic: a conv followed by an eval-mode norm is one biased conv."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .layers import FrozenBatchNorm2d

NORMS = (nn.BatchNorm2d, FrozenBatchNorm2d)


def norm_scale_shift(norm: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
    """(scale, shift) with norm(x) == x * scale + shift per channel, for eval-mode statistics."""
    if isinstance(norm, FrozenBatchNorm2d):
        return norm.scale_and_shift()
    if isinstance(norm, nn.BatchNorm2d):
        scale = norm.weight / (norm.running_var + norm.eps).sqrt()
        return scale, norm.bias - norm.running_mean * scale
    raise TypeError(f"cannot fold {type(norm).__name__} into a conv")


@torch.no_grad()
def folded_kernel_bias(conv: nn.Conv2d, norm: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
    """Kernel and bias of the single conv equal to norm(conv(x))."""
    scale, shift = norm_scale_shift(norm)
    kernel = conv.weight * scale.reshape(-1, 1, 1, 1)
    bias = shift if conv.bias is None else shift + conv.bias * scale
    return kernel, bias


def pad_1x1_to_3x3(kernel: torch.Tensor) -> torch.Tensor:
    """A 1x1 kernel as the centre of a 3x3 one (same output with padding 1)."""
    return F.pad(kernel, [1, 1, 1, 1])


@torch.no_grad()
def conv_with(conv: nn.Conv2d, kernel: torch.Tensor, bias: torch.Tensor) -> nn.Conv2d:
    """A biased copy of `conv`'s geometry holding the given kernel and bias."""
    fused = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding,
                      conv.dilation, conv.groups, bias=True, device=kernel.device, dtype=kernel.dtype)
    fused.weight.copy_(kernel)
    fused.bias.copy_(bias)
    return fused


def fold_conv_norm(module: nn.Module) -> bool:
    """If `module` has a `conv` Conv2d and a `norm` BatchNorm, fold them in place (norm -> Identity)."""
    conv, norm = getattr(module, "conv", None), getattr(module, "norm", None)
    if not isinstance(conv, nn.Conv2d) or not isinstance(norm, NORMS):
        return False
    module.conv = conv_with(conv, *folded_kernel_bias(conv, norm))
    module.norm = nn.Identity()
    return True
