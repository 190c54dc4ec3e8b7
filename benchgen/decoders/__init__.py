"""Post-processing for bring-your-own ONNX files, looked up by the registry's `decoder` kind.

A family that benchgen cannot rebuild in PyTorch can still be measured from an exported ONNX file,
as long as benchgen knows what the file's raw output means. Each decoder module reproduces one
family's official evaluation pre- and post-processing and exposes
``make_pipeline(input_size: int) -> benchgen.pipeline.Pipeline``.
"""

from __future__ import annotations

import importlib

from benchgen.pipeline import Pipeline

DECODERS: dict[str, str] = {
    "yolox": "benchgen.decoders.yolox",
}


def make_pipeline(decoder: str, input_size: int) -> Pipeline:
    """Import the decoder lazily so that an unknown kind fails with the list of known ones."""
    try:
        module_path = DECODERS[decoder]
    except KeyError:
        known = ", ".join(sorted(DECODERS))
        raise KeyError(f"unknown decoder {decoder!r}; known: {known}") from None
    return importlib.import_module(module_path).make_pipeline(input_size)
