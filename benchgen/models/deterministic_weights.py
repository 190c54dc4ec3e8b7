"""Deterministic stand-in weights, so exports and numerical checks need no download.

The recipe is the one the reference goldens (../shared/reference/README.md) were produced with, for
every family: each floating-point state-dict entry gets its own generator seeded from the CRC32 of
its key, so values do not depend on module construction order and the official model and ours
receive identical weights. Float buffers (anchors, sampling scales) are filled too; integer and
boolean entries (BatchNorm counters, valid masks) keep the values the model was built with.
"""

from __future__ import annotations

import math
import zlib

import torch
from torch import nn


def deterministic_tensor(key: str, shape: tuple[int, ...], seed: int = 0) -> torch.Tensor:
    """The value the recipe gives entry `key`; seed 0 is the reference recipe, others shift every stream."""
    g = torch.Generator().manual_seed((zlib.crc32(key.encode()) + seed) % (2**63))
    if len(shape) >= 2:
        t = torch.randn(shape, generator=g) / math.sqrt(math.prod(shape[1:]))
    else:
        t = torch.randn(shape, generator=g) * 0.05
    if key.endswith("running_var"):
        t = t.abs() + 1.0
    elif key.endswith(".weight") and len(shape) == 1:
        t = t + 1.0  # norm scales
    return t


@torch.no_grad()
def fill_deterministic(model: nn.Module, seed: int = 0) -> None:
    """Overwrite every floating-point entry of the model's state dict; other entries are kept."""
    state = model.state_dict()
    filled = {
        key: deterministic_tensor(key, tuple(value.shape), seed).to(value.dtype) if value.is_floating_point() else value
        for key, value in state.items()
    }
    model.load_state_dict(filled, strict=True)
