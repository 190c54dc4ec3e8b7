"""Architecture-exact model implementations, looked up by the registry's `implementation` name.

Each is a package here that declares itself (``FAMILY``, see benchgen.models.family). Every
implementation's builder exposes the same functions, so export and measurement code never branch on
the family:

- ``build_model(variant: str) -> torch.nn.Module`` — train-mode structure (official state-dict layout), eval mode
- ``load_checkpoint(model, path) -> None`` — official .pth, ``weights_only=True``, strict; raises CheckpointError
- ``to_deploy(model) -> torch.nn.Module`` — exact re-parameterisation for inference
- ``export_onnx(variant, output, weights=None, seed=0) -> None`` — deploy model to ONNX
- ``make_pipeline(variant) -> benchgen.pipeline.Pipeline`` — official pre/post-processing in NumPy
- ``VARIANTS`` — the variant ids it knows (matching the registry ids)
"""

from __future__ import annotations

from types import ModuleType

from benchgen.models.family import ImplementationFamily, families


def implementation_family(name: str) -> ImplementationFamily:
    try:
        return families()[name]
    except KeyError:
        known = ", ".join(sorted(families()))
        raise KeyError(f"unknown implementation {name!r}; known: {known}") from None


def implementation(name: str) -> ModuleType:
    """Import an implementation lazily: torch is only needed by the commands that build models."""
    return implementation_family(name).builder_module()
