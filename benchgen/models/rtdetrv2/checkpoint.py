"""Loading official RT-DETRv2 checkpoints, with errors a user can act on.

The official .pth (a training checkpoint) holds the train-mode state dict under `ema` -> `module`
(the weights the published numbers come from) or under `model`; a bare state dict is accepted too.
Loading is strict: a checkpoint of another variant must fail loudly, naming what does not fit, rather
than run with half its weights.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from benchgen.errors import CheckpointError

_LISTED = 8  # how many offending keys an error message spells out


def _listing(keys: list[str]) -> str:
    shown = ", ".join(keys[:_LISTED])
    more = len(keys) - _LISTED
    return shown + (f" ... and {more} more" if more > 0 else "")


def _state_dict_of(obj: object, path: Path) -> Mapping[str, torch.Tensor]:
    """The official export tool's choice: `ema.module` when there is an `ema` entry, else `model`."""
    if isinstance(obj, Mapping) and ("ema" in obj or "model" in obj):
        ema = obj.get("ema")
        if isinstance(ema, Mapping) and isinstance(ema.get("module"), Mapping):
            obj = ema["module"]
        elif isinstance(obj.get("model"), Mapping):
            obj = obj["model"]
        else:
            raise CheckpointError(f"{path}: a training checkpoint without weights: neither 'ema' -> 'module' "
                                  "nor 'model' holds a state dict")
    if not isinstance(obj, Mapping) or not obj:
        raise CheckpointError(
            f"{path}: not an RT-DETRv2 checkpoint: expected a state dict, or a dict with an 'ema' -> 'module' "
            "or a 'model' state dict")
    not_tensors = [str(k) for k, v in obj.items() if not isinstance(v, torch.Tensor)]
    if not_tensors:
        raise CheckpointError(f"{path}: entries that are not tensors: {_listing(not_tensors)}")
    return obj


def read_checkpoint(path: str | os.PathLike) -> Mapping[str, torch.Tensor]:
    """The state dict stored in `path`, read with weights_only=True."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint file not found")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        lines = str(exc).splitlines()
        detail = next((ln.strip() for ln in lines if "WeightsUnpickler error" in ln),
                      lines[0] if lines else type(exc).__name__)
        raise CheckpointError(
            f"{path}: holds pickled Python objects besides tensors, which are not loaded (weights_only=True): "
            f"{detail}") from exc
    except Exception as exc:  # torch raises many types for truncated / foreign files
        raise CheckpointError(f"{path}: cannot read the checkpoint (corrupt or not a PyTorch file): {exc}") from exc
    return _state_dict_of(obj, path)


def check_compatible(model: nn.Module, state: Mapping[str, torch.Tensor], path: str | os.PathLike) -> None:
    """Raise CheckpointError naming missing / unexpected keys and shape mismatches, if any."""
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    mismatched = [
        f"{k} (checkpoint {tuple(state[k].shape)}, model {tuple(v.shape)})"
        for k, v in expected.items() if k in state and state[k].shape != v.shape
    ]
    problems = []
    if missing:
        problems.append(f"missing keys: {_listing(missing)}")
    if unexpected:
        problems.append(f"unexpected keys: {_listing(unexpected)}")
    if mismatched:
        problems.append(f"shape mismatches: {_listing(mismatched)}")
    if problems:
        raise CheckpointError(
            f"{path}: does not match this architecture (a checkpoint of another variant, or not an official "
            f"RT-DETRv2 train-mode file?); " + "; ".join(problems))


def load_checkpoint(model: nn.Module, path: str | os.PathLike) -> None:
    """Load an official checkpoint into the train-mode `model` (strict), or raise CheckpointError."""
    state = read_checkpoint(path)
    check_compatible(model, state, path)
    model.load_state_dict(state, strict=True)
