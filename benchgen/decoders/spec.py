"""The contract of a decoder: what a built-in format module or a plugin distribution provides.

A decoder is data plus three functions: its preprocessing convention and option defaults, `build`
(registry settings + the ONNX file's facts -> a Pipeline), `check` (do these outputs fit me?) and,
optionally, `recognise` (would `decoder: auto` pick me for this file?). Plugins expose one
`DecoderSpec` through the `benchgen.decoders` entry-point group.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from benchgen.decoders.onnx_info import OnnxInfo
from benchgen.decoders.preprocess import Convention
from benchgen.pipeline import Pipeline


@dataclass(frozen=True)
class BuildContext:
    """Everything a decoder may use to build its pipeline for one variant."""

    input_size: int
    convention: Convention  # the decoder's default overridden by the registry's preprocess block
    class_map: Any  # None (decoder default), "coco80", "coco-ids" or a list of COCO ids
    options: dict[str, Any]  # the decoder's option defaults overridden by decoder_options
    info: OnnxInfo | None = None  # None only where a pipeline is built without a file (unit tests)
    #: the registry's preprocess block as given, for a decoder whose default convention depends on
    #: the file (gfl: NanoDet's or PicoDet's) and so must apply the overrides to its own choice
    overrides: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DecoderSpec:
    name: str
    summary: str  # one line for `benchgen list --decoders` and error messages
    convention: Convention
    build: Callable[[BuildContext], Pipeline]
    options: dict[str, Any] = field(default_factory=dict)  # every accepted option with its default
    #: None when the file's outputs fit, else what does not fit (one sentence)
    check: Callable[[OnnxInfo, int], str | None] | None = None
    #: True when `decoder: auto` should consider this format for the file
    recognise: Callable[[OnnxInfo, int], bool] | None = None

    def context(self, input_size: int, preprocess: dict | None = None, class_map: Any = None,
                options: dict | None = None, info: OnnxInfo | None = None) -> BuildContext:
        return BuildContext(input_size, self.convention.override(preprocess or {}), class_map,
                            {**self.options, **(options or {})}, info, dict(preprocess or {}))

    def unknown_options(self, options: dict) -> list[str]:
        return sorted(set(options) - set(self.options))
