"""Deploy conversion: the eval-mode network with everything precomputable folded away.

Beyond the official deploy step (each RepVGG block's two branches -> one 3x3 conv), every remaining
conv + norm pair is folded into one biased conv: the r50/r101 backbones use a frozen BatchNorm that
ONNX exporters do not fold, which would otherwise leave a Mul and an Add behind every backbone conv.
Decoder layers after the eval layer, their heads, and the training-only denoising embedding are
dropped, since eval never runs them. All of this is exact up to float rounding.
"""

from __future__ import annotations

import copy

from torch import nn

from .hybrid_encoder import RepVggBlock
from .model import RTDETR
from .reparam import fold_conv_norm


def _trim_decoder(model: RTDETR) -> None:
    decoder = model.decoder
    keep = decoder.eval_layer + 1
    decoder.decoder.layers = decoder.decoder.layers[:keep]
    decoder.dec_score_head = decoder.dec_score_head[:keep]
    decoder.dec_bbox_head = decoder.dec_bbox_head[:keep]
    if hasattr(decoder, "denoising_class_embed"):
        del decoder.denoising_class_embed


def to_deploy(model: nn.Module) -> nn.Module:
    """A fused copy of `model` in eval mode; the train-mode original is left untouched."""
    if not isinstance(model, RTDETR):
        raise TypeError(f"expected an RT-DETRv2 model, got {type(model).__name__}")
    deployed = copy.deepcopy(model).eval()
    for module in list(deployed.modules()):
        if isinstance(module, RepVggBlock):
            module.switch_to_deploy()
    for module in list(deployed.modules()):
        fold_conv_norm(module)
    _trim_decoder(deployed)
    return deployed
