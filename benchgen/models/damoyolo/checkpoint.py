"""Where official DAMO-YOLO checkpoints keep their weights.

The official .pth is a dict whose `model` entry is the train-mode state dict (RepConv branches
unfused); a bare state dict is accepted too.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from benchgen.models.checkpoint_io import load_file, load_strict, tensors_only

from . import FAMILY

FAMILY_NAME = FAMILY.checkpoint.name


def read_checkpoint(path: str | os.PathLike) -> Mapping[str, torch.Tensor]:
    """The state dict stored in `path` (official .pth or bare state dict)."""
    obj = load_file(path)
    if isinstance(obj, Mapping) and "model" in obj and isinstance(obj["model"], Mapping):
        obj = obj["model"]
    return tensors_only(obj, Path(path), "not a DAMO-YOLO checkpoint: expected a state dict or a dict with a "
                                         "'model' state dict", FAMILY_NAME)


def load_checkpoint(model: nn.Module, path: str | os.PathLike) -> None:
    """Load an official checkpoint into the train-mode `model` (strict), or raise CheckpointError."""
    load_strict(model, read_checkpoint(path), path,
                "wrong variant, or a deploy-form/non-official file?", FAMILY_NAME)
