"""Post-processing for bring-your-own ONNX files, looked up by the registry's `decoder` kind.

A family that benchgen cannot rebuild in PyTorch can still be measured from an exported ONNX file,
as long as benchgen knows what the file's outputs mean and how its inputs were prepared. Each
format module here defines one `DecoderSpec` (benchgen.decoders.spec) as DECODER; other packages
add theirs through the `benchgen.decoders` entry-point group (benchgen.decoders.plugins).
`decoder: auto`, the default, recognises the format from the file (benchgen.decoders.resolve).
"""

from __future__ import annotations

import importlib
from functools import lru_cache
from typing import Any

from benchgen.decoders.plugins import load_plugin, plugin_entry_points
from benchgen.decoders.spec import DecoderSpec
from benchgen.errors import BenchgenError
from benchgen.pipeline import Pipeline

#: built-in formats: name -> module defining DECODER (order = auto-detection order)
DECODERS: dict[str, str] = {
    "ultralytics": "benchgen.decoders.ultralytics",
    "end2end": "benchgen.decoders.end2end",
    "ultralytics-rtdetr": "benchgen.decoders.ultralytics_rtdetr",
    "detr": "benchgen.decoders.detr",
    "nms-in-graph": "benchgen.decoders.nms_in_graph",
    "yolox": "benchgen.decoders.yolox",
    "yolov5": "benchgen.decoders.yolov5",
    "gfl": "benchgen.decoders.gfl",
}
AUTO = "auto"


def known_decoders() -> list[str]:
    """Built-in names first, then plugins' (listed without importing them)."""
    return list(DECODERS) + sorted(n for n in plugin_entry_points() if n not in DECODERS)


@lru_cache(maxsize=None)
def get_decoder(name: str) -> DecoderSpec:
    if name in DECODERS:
        return importlib.import_module(DECODERS[name]).DECODER
    points = plugin_entry_points()
    if name in points:
        return load_plugin(points[name])
    raise BenchgenError(f"unknown decoder {name!r}; known: {AUTO}, {', '.join(known_decoders())}")


def all_decoders() -> list[DecoderSpec]:
    return [get_decoder(name) for name in known_decoders()]


def make_pipeline(decoder: str, input_size: int, preprocess: dict | None = None, class_map: Any = None,
                  options: dict | None = None, info=None) -> Pipeline:
    """The decoder's pipeline for one variant: its defaults, overridden by the registry's settings."""
    spec = get_decoder(decoder)
    unknown = spec.unknown_options(options or {})
    if unknown:
        raise BenchgenError(f"decoder {decoder!r} has no option {', '.join(unknown)}; "
                            f"its options: {', '.join(sorted(spec.options)) or 'none'}")
    problem = spec.option_problem(options or {})
    if problem:
        raise BenchgenError(f"decoder_options: {problem}")
    try:
        return spec.build(spec.context(input_size, preprocess, class_map, options, info))
    except ValueError as exc:
        raise BenchgenError(f"decoder {decoder!r}: {exc}") from None
