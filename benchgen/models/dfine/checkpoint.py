"""Where official D-FINE and DEIM checkpoints keep their weights.

Both repositories save a training checkpoint with the train-mode state dict under `ema` -> `module`
(the weights the published numbers come from, and the official export's choice) or under `model`;
a bare state dict is accepted too. Their top-level modules are RT-DETRv2's (backbone, encoder,
decoder), so `decoder.reg_scale` (the FDR parameter no RT-DETR has) tells the families apart.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from benchgen.errors import CheckpointError
from benchgen.models.checkpoint_io import load_file, load_strict, other_family, tensors_only

FAMILY_NAME = "D-FINE"
KEY_PREFIXES = ("backbone", "encoder", "decoder")
#: keys only this family's checkpoints hold (checked before the top-level prefixes of other families)
SIGNATURE_KEYS = ("decoder.reg_scale", "decoder.up")


def read_checkpoint(path: str | os.PathLike) -> Mapping[str, torch.Tensor]:
    """`ema.module` when there is an `ema` entry, else `model`, else the file itself."""
    obj = load_file(path)
    if isinstance(obj, Mapping) and ("ema" in obj or "model" in obj):
        ema = obj.get("ema")
        if isinstance(ema, Mapping) and isinstance(ema.get("module"), Mapping):
            obj = ema["module"]
        elif isinstance(obj.get("model"), Mapping):
            obj = obj["model"]
        else:
            raise CheckpointError(f"{path}: a training checkpoint without weights: neither 'ema' -> 'module' "
                                  f"nor 'model' holds a state dict{other_family(obj, FAMILY_NAME)}")
    return tensors_only(obj, Path(path), "not a D-FINE / DEIM checkpoint: expected a state dict, or a dict with "
                                         "an 'ema' -> 'module' or a 'model' state dict", FAMILY_NAME)


def load_checkpoint(model: nn.Module, path: str | os.PathLike) -> None:
    """Load an official checkpoint into the train-mode `model` (strict), or raise CheckpointError."""
    load_strict(model, read_checkpoint(path), path,
                "a checkpoint of another size, a DEIM checkpoint for a D-FINE variant (DEIM's L/X have trainable "
                "backbone BatchNorm) or the reverse, or not an official train-mode file?", FAMILY_NAME)
