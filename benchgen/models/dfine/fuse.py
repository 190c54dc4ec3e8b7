"""Deploy conversion: the eval-mode network with everything precomputable folded away.

The official `deploy()` folds the encoder's RepVGG blocks and conv + BatchNorm pairs, freezes the
weighting function W(n) into a constant and drops the decoder layers, heads and LQEs after the eval
layer. benchgen does the same and also folds the backbone's conv + BatchNorm pairs (the official
export leaves them to the ONNX exporter, which folds plain BatchNorm but not the frozen one of L/X).
All of this is exact up to float rounding.
"""

from __future__ import annotations

import copy

from torch import nn

from benchgen.models.rtdetrv2.hybrid_encoder import RepVggBlock
from benchgen.models.rtdetrv2.reparam import fold_conv_norm

from .distribution import deploy_weighting_function
from .hgnetv2 import ConvBNAct
from .model import DFINE


def _trim_decoder(model: DFINE) -> None:
    decoder = model.decoder
    keep = decoder.eval_layer + 1
    decoder.decoder.layers = decoder.decoder.layers[:keep]
    decoder.decoder.lqe_layers = decoder.decoder.lqe_layers[:keep]
    decoder.dec_bbox_head = decoder.dec_bbox_head[:keep]
    decoder.dec_score_head = decoder.dec_score_head[:keep]
    for i in range(keep - 1):  # only the eval layer scores; earlier layers' heads and LQEs never run
        decoder.dec_score_head[i] = nn.Identity()
        decoder.decoder.lqe_layers[i] = nn.Identity()
    if hasattr(decoder, "denoising_class_embed"):
        del decoder.denoising_class_embed
    project = deploy_weighting_function(decoder.cfg.reg_max, float(decoder.up[0]), float(decoder.reg_scale[0]))
    decoder.register_buffer("_project", project.to(decoder.up.device))


def to_deploy(model: nn.Module) -> nn.Module:
    """A fused copy of `model` in eval mode; the train-mode original is left untouched."""
    if not isinstance(model, DFINE):
        raise TypeError(f"expected a D-FINE model, got {type(model).__name__}")
    deployed = copy.deepcopy(model).eval()
    for module in list(deployed.modules()):
        if isinstance(module, RepVggBlock):
            module.switch_to_deploy()
    for module in list(deployed.modules()):
        if isinstance(module, ConvBNAct):
            module.fuse()
        else:
            fold_conv_norm(module)
    _trim_decoder(deployed)
    return deployed
