"""Architecture-exact model implementations, looked up by the registry's `implementation` name.

Every implementation module exposes the same functions, so export and measurement code never
branch on the family:

- ``build_model(variant: str) -> torch.nn.Module`` — train-mode structure (official state-dict layout), eval mode
- ``load_checkpoint(model, path) -> None`` — official .pth, ``weights_only=True``, strict; raises CheckpointError
- ``to_deploy(model) -> torch.nn.Module`` — exact re-parameterisation for inference
- ``export_onnx(variant, output, weights=None, seed=0) -> None`` — deploy model to ONNX
- ``make_pipeline(variant) -> benchgen.pipeline.Pipeline`` — official pre/post-processing in NumPy
- ``VARIANTS`` — the variant ids it knows (matching the registry ids)
"""

from __future__ import annotations

import importlib
from types import ModuleType

IMPLEMENTATIONS: dict[str, str] = {
    "damo-yolo": "benchgen.models.damoyolo",
    "rtdetrv2": "benchgen.models.rtdetrv2",
    "dfine": "benchgen.models.dfine",  # D-FINE and DEIM's D-FINE models
}


def implementation(name: str) -> ModuleType:
    """Import an implementation lazily: torch is only needed by the commands that build models."""
    try:
        module_path = IMPLEMENTATIONS[name]
    except KeyError:
        known = ", ".join(sorted(IMPLEMENTATIONS))
        raise KeyError(f"unknown implementation {name!r}; known: {known}") from None
    return importlib.import_module(module_path)
