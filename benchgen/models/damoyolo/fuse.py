"""Deploy conversion: fold every RepConv's branches into one conv, exactly."""

from __future__ import annotations

import copy

from torch import nn

from .repconv import RepConv


def to_deploy(model: nn.Module) -> nn.Module:
    """A fused copy of `model` in eval mode; the train-mode original is left untouched.

    Only RepConv blocks are re-parameterised, which is what the official deploy form (and its published
    parameter count) does; the remaining conv+BN pairs are left for the runtime's own conv-BN folding.
    """
    deployed = copy.deepcopy(model).eval()
    for module in deployed.modules():
        if isinstance(module, RepConv):
            module.switch_to_deploy()
    return deployed
