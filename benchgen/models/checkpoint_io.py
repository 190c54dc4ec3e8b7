"""Reading official checkpoints and checking them against an architecture, for every family.

Loading is strict: a checkpoint of another variant must fail loudly, naming what does not fit,
rather than run with half its weights. Files are read with `weights_only=True`, so a checkpoint
cannot run code. Each family only says where its format keeps the state dict.
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


def listing(keys: list[str]) -> str:
    shown = ", ".join(keys[:_LISTED])
    more = len(keys) - _LISTED
    return shown + (f" ... and {more} more" if more > 0 else "")


def load_file(path: str | os.PathLike) -> object:
    """Whatever `path` holds, read with weights_only=True; CheckpointError for missing or corrupt files."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint file not found")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        lines = str(exc).splitlines()
        detail = next((ln.strip() for ln in lines if "WeightsUnpickler error" in ln),
                      lines[0] if lines else type(exc).__name__)
        raise CheckpointError(
            f"{path}: holds pickled Python objects besides tensors, which are not loaded (weights_only=True): "
            f"{detail}") from exc
    except Exception as exc:  # torch raises many types for truncated / foreign files
        raise CheckpointError(f"{path}: cannot read the checkpoint (corrupt or not a PyTorch file): {exc}") from exc


def _state_dict_in(obj: object) -> object:
    """The state dict inside any family's container (`ema` -> `module`, `model`, `state_dict`), or `obj`."""
    if isinstance(obj, Mapping):
        ema = obj.get("ema")
        if isinstance(ema, Mapping) and isinstance(ema.get("module"), Mapping):
            return ema["module"]
        for key in ("model", "state_dict", "module"):
            if isinstance(obj.get(key), Mapping):
                return obj[key]
    return obj


def looks_like(obj: object) -> str | None:
    """The family whose state-dict layout `obj` has (its top-level module names), if any."""
    from benchgen.models.family import families

    state = _state_dict_in(obj)
    if not isinstance(state, Mapping):
        return None
    prefixes = {str(key).split(".", 1)[0] for key in state}
    signatures = [family.checkpoint for family in families().values()]
    # families sharing top-level names (RT-DETRv2, D-FINE) are told apart by keys only one of them has
    signatures.sort(key=lambda signature: not signature.signature_keys)
    for signature in signatures:
        if prefixes == set(signature.key_prefixes) and all(key in state for key in signature.signature_keys):
            return signature.name
    return None


def other_family(obj: object, family: str | None) -> str:
    """A sentence for the error when the file is another family's checkpoint, else ''."""
    found = looks_like(obj)
    if family is None or found is None or found == family:
        return ""
    return f"; it looks like a {found} checkpoint: use it with a {found} variant"


def tensors_only(state: object, path: str | os.PathLike, expected: str,
                 family: str | None = None) -> Mapping[str, torch.Tensor]:
    """`state` as a non-empty mapping of tensors; `expected` says what the family's file should hold."""
    if not isinstance(state, Mapping) or not state:
        raise CheckpointError(f"{path}: {expected}{other_family(state, family)}")
    not_tensors = [str(k) for k, v in state.items() if not isinstance(v, torch.Tensor)]
    if not_tensors:
        raise CheckpointError(f"{path}: entries that are not tensors: {listing(not_tensors)}"
                              f"{other_family(state, family)}")
    return state


def check_compatible(model: nn.Module, state: Mapping[str, torch.Tensor], path: str | os.PathLike,
                     hint: str, family: str | None = None) -> None:
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
        problems.append(f"missing keys: {listing(missing)}")
    if unexpected:
        problems.append(f"unexpected keys: {listing(unexpected)}")
    if mismatched:
        problems.append(f"shape mismatches: {listing(mismatched)}")
    if problems:
        found = other_family(state, family)
        if found:  # the key lists of another architecture say nothing the family name does not
            raise CheckpointError(f"{path}: not a {family} checkpoint{found}")
        raise CheckpointError(f"{path}: does not match this architecture ({hint}); " + "; ".join(problems))


def check_finite(state: Mapping[str, torch.Tensor], path: str | os.PathLike) -> None:
    """Weights that are NaN or infinite (a diverged run, a corrupt download) make a model that detects
    nothing, and its mAP 0.0 would be stored as a measurement of the architecture."""
    bad = [str(k) for k, v in state.items()
           if (v.is_floating_point() or v.is_complex()) and not bool(torch.isfinite(v).all())]
    if bad:
        raise CheckpointError(f"{path}: {len(bad)} of {len(state)} tensors hold NaN or infinite values "
                              f"({listing(bad)}); a model with them detects nothing and its mAP is not a measurement: "
                              "download the official checkpoint again")


def load_strict(model: nn.Module, state: Mapping[str, torch.Tensor], path: str | os.PathLike, hint: str,
                family: str | None = None) -> None:
    check_compatible(model, state, path, hint, family)
    check_finite(state, path)
    model.load_state_dict(state, strict=True)
