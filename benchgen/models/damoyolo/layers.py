"""Plain convolution building blocks shared by the backbone and the neck.

Attribute names (`conv`/`bn`, `conv1`/`bn1`) are not a style choice: they are the official state-dict
keys, and official checkpoints must load with strict=True.
"""

from __future__ import annotations

import torch
from torch import nn


# The official Detector.init_bn sets eps = 1e-3 on every BatchNorm before training; eps is not stored
# in the checkpoints, so a default-eps (1e-5) model would silently compute something else.
BN_EPS = 1e-3


def batch_norm(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS)


def make_activation(name: str) -> nn.Module:
    """Activation module by the name variants.yaml uses (out-of-place, so no aliasing surprises)."""
    if name == "relu":
        return nn.ReLU()
    if name == "silu":
        return nn.SiLU()
    if name == "identity":
        return nn.Identity()
    raise ValueError(f"unknown activation {name!r}")


class ConvBNAct(nn.Module):
    """Conv (no bias, 'same' padding) -> BatchNorm -> activation; the neck's and SPP's unit."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int, stride: int = 1, act: str = "silu"):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel, stride, (kernel - 1) // 2, bias=False)
        self.bn = batch_norm(out_channels)
        self.act = make_activation(act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(self.conv(x)))


class ConvKXBN(nn.Module):
    """Conv -> BatchNorm without activation; the TinyNAS backbone's unit (keys conv1 / bn1)."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, kernel, stride, (kernel - 1) // 2, bias=False)
        self.bn1 = batch_norm(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn1(self.conv1(x))


class ConvKXBNAct(nn.Module):
    """ConvKXBN followed by an activation (the official ConvKXBNRELU, whatever the activation)."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int, stride: int, act: str):
        super().__init__()
        self.conv = ConvKXBN(in_channels, out_channels, kernel, stride)
        self.act = make_activation(act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.conv(x))


class Focus(nn.Module):
    """Space-to-depth (2x2 pixels -> 4x channels) then a conv: the stride-2 stem without a strided conv."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int, act: str):
        super().__init__()
        self.conv = ConvBNAct(in_channels * 4, out_channels, kernel, 1, act=act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # The channel order (tl, bl, tr, br) is fixed by the official weights.
        x = torch.cat((x[:, :, ::2, ::2], x[:, :, 1::2, ::2], x[:, :, ::2, 1::2], x[:, :, 1::2, 1::2]), dim=1)
        return self.conv(x)


class SPPBottleneck(nn.Module):
    """YOLOv3-SPP pooling at the deepest backbone stage (max-pools 5, 9, 13 concatenated)."""

    def __init__(self, in_channels: int, out_channels: int, act: str, kernel_sizes=(5, 9, 13)):
        super().__init__()
        hidden = in_channels // 2
        self.conv1 = ConvBNAct(in_channels, hidden, 1, act=act)
        self.m = nn.ModuleList(nn.MaxPool2d(k, stride=1, padding=k // 2) for k in kernel_sizes)
        self.conv2 = ConvBNAct(hidden * (len(kernel_sizes) + 1), out_channels, 1, act=act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv1(x)
        return self.conv2(torch.cat([x] + [pool(x) for pool in self.m], dim=1))
