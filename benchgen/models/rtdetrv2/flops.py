"""Multiply-accumulate counts of one forward pass, by layer kind, computed on the meta device.

Published RT-DETRv2 GFLOPs (60 / 92 / 100 / 136 / 259) agree within 1 % with 2 x MACs of the conv and
linear layers of the train-mode model (60.5 / 92.4 / 99.7 / 136.2 / 258.7); the reference README's thop
column (59.72 ...) is what thop counts on the official deploy form (RepVGG fused), which adds its
BatchNorm and LayerNorm element counts. Attention
score / mix products and the MultiheadAttention in-projection are counted separately because neither
published figure includes them. Running on meta tensors propagates shapes without computing, so a
count costs well under a second even for the r101 model.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .hybrid_encoder import RepVggBlock
from .layers import MultiheadAttention
from .model import build_model


@dataclass(frozen=True)
class MacCount:
    conv: int
    linear: int  # nn.Linear modules (MultiheadAttention's out_proj included, as it is an nn.Linear)
    attention: int  # in-projection and the two attention matmuls of each MultiheadAttention
    batchnorm_elements: int  # outputs of nn.BatchNorm2d (trainable BN; thop counts 2 per element)
    layernorm_elements: int

    @property
    def published_gflops(self) -> float:
        """2 x MACs of conv and linear layers: the count the published figures round."""
        return 2 * (self.conv + self.linear) / 1e9

    @property
    def thop_gflops(self) -> float:
        """What thop reports (x 2): conv + linear + 2 per BatchNorm2d / LayerNorm output element."""
        return 2 * (self.conv + self.linear + 2 * self.batchnorm_elements + 2 * self.layernorm_elements) / 1e9

    @property
    def total_gflops(self) -> float:
        """Every matmul-like product, attention included (what an ONNX Conv/Gemm/MatMul count sees)."""
        return 2 * (self.conv + self.linear + self.attention) / 1e9


def count_macs(model: nn.Module, images: torch.Tensor) -> MacCount:
    """MACs of `model` on `images` (pass meta tensors and a meta model to count without computing)."""
    totals = dict.fromkeys(("conv", "linear", "attention", "bn", "ln"), 0)

    def conv(m: nn.Conv2d, _inp, out: torch.Tensor) -> None:
        totals["conv"] += out.numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]

    def linear(m: nn.Linear, _inp, out: torch.Tensor) -> None:
        totals["linear"] += out.numel() * m.in_features

    def attention(m: MultiheadAttention, inp, _out) -> None:
        query, key, _value = inp
        n, len_q, d = query.shape
        len_k = key.shape[1]
        totals["attention"] += n * (len_q * d * d + 2 * len_k * d * d + 2 * len_q * len_k * d)

    def elements(kind: str):
        def hook(_m, _inp, out: torch.Tensor) -> None:
            totals[kind] += out.numel()
        return hook

    hooks = {nn.Conv2d: conv, nn.Linear: linear, MultiheadAttention: attention,
             nn.BatchNorm2d: elements("bn"), nn.LayerNorm: elements("ln")}
    handles = [m.register_forward_hook(hook) for m in model.modules()
               for kind, hook in hooks.items() if type(m) is kind]
    try:
        with torch.no_grad():
            model(images)
    finally:
        for h in handles:
            h.remove()
    return MacCount(totals["conv"], totals["linear"], totals["attention"], totals["bn"], totals["ln"])


def count_variant(variant: str, input_size: tuple[int, int] = (640, 640), repvgg_fused: bool = False) -> MacCount:
    """Count `variant` at batch 1 on the meta device; `repvgg_fused` is the official deploy form."""
    with torch.device("meta"):
        model = build_model(variant)
        if repvgg_fused:
            for module in model.modules():
                if isinstance(module, RepVggBlock):
                    module.switch_to_deploy()
        images = torch.zeros(1, 3, *input_size)
    return count_macs(model, images)
