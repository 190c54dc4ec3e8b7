"""Where official RT-DETRv2 checkpoints keep their weights (and D-FINE's and DEIM's, which are saved the same way).

The official .pth (a training checkpoint) holds the train-mode state dict under `ema` -> `module`
(the weights the published numbers come from) or under `model`; a bare state dict is accepted too.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from benchgen.errors import CheckpointError
from benchgen.models.checkpoint_io import load_file, load_strict, other_family, tensors_only

from . import FAMILY

FAMILY_NAME = FAMILY.checkpoint.name


def read_training_checkpoint(path: str | os.PathLike, family_name: str, article_name: str) -> Mapping[str, torch.Tensor]:
    """The official export tool's choice: `ema.module` when there is an `ema` entry, else `model`, else the
    file itself. `article_name` names the family in the error ("an RT-DETRv2")."""
    obj = load_file(path)
    if isinstance(obj, Mapping) and ("ema" in obj or "model" in obj):
        ema = obj.get("ema")
        if isinstance(ema, Mapping) and isinstance(ema.get("module"), Mapping):
            obj = ema["module"]
        elif isinstance(obj.get("model"), Mapping):
            obj = obj["model"]
        else:
            raise CheckpointError(f"{path}: a training checkpoint without weights: neither 'ema' -> 'module' "
                                  f"nor 'model' holds a state dict{other_family(obj, family_name)}")
    return tensors_only(obj, Path(path), f"not {article_name} checkpoint: expected a state dict, or a dict with an "
                                         "'ema' -> 'module' or a 'model' state dict", family_name)


def read_checkpoint(path: str | os.PathLike) -> Mapping[str, torch.Tensor]:
    return read_training_checkpoint(path, FAMILY_NAME, "an RT-DETRv2")


def load_checkpoint(model: nn.Module, path: str | os.PathLike) -> None:
    """Load an official checkpoint into the train-mode `model` (strict), or raise CheckpointError."""
    load_strict(model, read_checkpoint(path), path,
                "a checkpoint of another variant, or not an official RT-DETRv2 train-mode file?", FAMILY_NAME)
