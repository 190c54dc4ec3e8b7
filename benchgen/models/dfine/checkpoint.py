"""Where official D-FINE and DEIM checkpoints keep their weights: as RT-DETRv2's do.

Both repositories save a training checkpoint with the train-mode state dict under `ema` -> `module`
(the weights the published numbers come from, and the official export's choice) or under `model`;
a bare state dict is accepted too. Their top-level modules are RT-DETRv2's (backbone, encoder,
decoder); the family's checkpoint signature (its FAMILY) tells them apart.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import torch
from torch import nn

from benchgen.models.checkpoint_io import load_strict
from benchgen.models.rtdetrv2.checkpoint import read_training_checkpoint

from . import FAMILY

FAMILY_NAME = FAMILY.checkpoint.name


def read_checkpoint(path: str | os.PathLike) -> Mapping[str, torch.Tensor]:
    return read_training_checkpoint(path, FAMILY_NAME, "a D-FINE / DEIM")


def load_checkpoint(model: nn.Module, path: str | os.PathLike) -> None:
    """Load an official checkpoint into the train-mode `model` (strict), or raise CheckpointError."""
    load_strict(model, read_checkpoint(path), path,
                "a checkpoint of another size, a DEIM checkpoint for a D-FINE variant (DEIM's L/X have trainable "
                "backbone BatchNorm) or the reverse, or not an official train-mode file?", FAMILY_NAME)
