"""RepVGG-style re-parameterisable convolution and the exact algebra that folds it into one conv.

Training uses parallel 3x3 and 1x1 conv+BN branches (optionally an identity BN branch); at inference
the branches are linear in the input, so their sum equals one 3x3 conv with bias. Folding them is what
makes the deployed DAMO-YOLO a plain conv net.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .layers import batch_norm, make_activation


def _conv_bn(in_channels: int, out_channels: int, kernel: int, stride: int, padding: int) -> nn.Sequential:
    branch = nn.Sequential()
    branch.add_module("conv", nn.Conv2d(in_channels, out_channels, kernel, stride, padding, bias=False))
    branch.add_module("bn", batch_norm(out_channels))
    return branch


def fold_bn(kernel: torch.Tensor, bn: nn.BatchNorm2d) -> tuple[torch.Tensor, torch.Tensor]:
    """Kernel and bias of conv(kernel, no bias) followed by `bn` in eval mode, as one conv."""
    std = torch.sqrt(bn.running_var + bn.eps)
    scale = bn.weight / std
    return kernel * scale.reshape(-1, 1, 1, 1), bn.bias - bn.running_mean * scale


class RepConv(nn.Module):
    """3x3 conv+BN plus 1x1 conv+BN (plus an optional identity BN), summed, then an activation.

    DAMO-YOLO never uses the identity branch (its checkpoints have no `rbr_identity` keys); it is kept
    optional so the fusion algebra is the general RepVGG one and is tested as such.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1, act: str = "relu",
                 identity: bool = False):
        super().__init__()
        if identity and (in_channels != out_channels or stride != 1):
            raise ValueError("an identity branch needs in_channels == out_channels and stride 1")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.stride = stride
        self.rbr_dense = _conv_bn(in_channels, out_channels, 3, stride, 1)
        self.rbr_1x1 = _conv_bn(in_channels, out_channels, 1, stride, 0)
        self.rbr_identity = batch_norm(in_channels) if identity else None
        self.nonlinearity = make_activation(act)
        self.rbr_reparam: nn.Conv2d | None = None

    @property
    def deployed(self) -> bool:
        return self.rbr_reparam is not None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.rbr_reparam is not None:
            return self.nonlinearity(self.rbr_reparam(x))
        y = self.rbr_dense(x) + self.rbr_1x1(x)
        if self.rbr_identity is not None:
            y = y + self.rbr_identity(x)
        return self.nonlinearity(y)

    @torch.no_grad()
    def equivalent_kernel_bias(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The single 3x3 kernel and bias whose conv equals the branch sum (BNs in eval mode)."""
        kernel, bias = fold_bn(self.rbr_dense.conv.weight, self.rbr_dense.bn)
        k1, b1 = fold_bn(self.rbr_1x1.conv.weight, self.rbr_1x1.bn)
        # A 1x1 kernel is a 3x3 kernel with zeros around it; padding 0 vs 1 lines the centres up.
        kernel = kernel + F.pad(k1, [1, 1, 1, 1])
        bias = bias + b1
        if self.rbr_identity is not None:
            eye = torch.zeros_like(kernel)
            idx = torch.arange(self.in_channels)
            eye[idx, idx, 1, 1] = 1.0
            ki, bi = fold_bn(eye, self.rbr_identity)
            kernel, bias = kernel + ki, bias + bi
        return kernel, bias

    @torch.no_grad()
    def switch_to_deploy(self) -> None:
        """Replace the branches by their fused conv (irreversible; keeps dtype and device)."""
        if self.rbr_reparam is not None:
            return
        kernel, bias = self.equivalent_kernel_bias()
        dense = self.rbr_dense.conv
        fused = nn.Conv2d(self.in_channels, self.out_channels, 3, self.stride, 1, bias=True)
        fused = fused.to(device=dense.weight.device, dtype=dense.weight.dtype)
        fused.weight.copy_(kernel)
        fused.bias.copy_(bias)
        del self.rbr_dense, self.rbr_1x1
        self.rbr_identity = None
        self.rbr_reparam = fused
