"""The contract of a decoder: what a built-in format module or a plugin distribution provides.

A decoder is data plus three functions: its preprocessing convention and option defaults, `build`
(registry settings + the ONNX file's facts -> a Pipeline), `check` (do these outputs fit me?) and,
optionally, `recognise` (would `decoder: auto` pick me for this file?). Plugins expose one
`DecoderSpec` through the `benchgen.decoders` entry-point group.
"""

from __future__ import annotations

import math
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
    #: the type of each option (bool, int, float: any finite number, str) where its default does not
    #: say it (a None default); the others take the type of their default
    option_types: dict[str, type] = field(default_factory=dict)

    def context(self, input_size: int, preprocess: dict | None = None, class_map: Any = None,
                options: dict | None = None, info: OnnxInfo | None = None) -> BuildContext:
        return BuildContext(input_size, self.convention.override(preprocess or {}), class_map,
                            {**self.options, **(options or {})}, info, dict(preprocess or {}))

    def unknown_options(self, options: dict) -> list[str]:
        return sorted(set(options) - set(self.options))

    def option_type(self, name: str) -> type | None:
        if name in self.option_types:
            return self.option_types[name]
        default = self.options.get(name)
        return None if default is None else type(default)

    def option_problem(self, options: dict) -> str | None:
        """A `decoder_options` value of the wrong type for this decoder (one sentence), or None
        (unknown names are `unknown_options`') (YAML reads `"0.5"` as a string, `0.5` as a number),
        which used to reach the decoder's arithmetic as a traceback."""
        for name, value in options.items():
            wanted = self.option_type(name)
            if wanted is None or value_fits(value, wanted):
                continue
            return (f"{name} of decoder {self.name!r} takes {_TYPE_WORDS.get(wanted, wanted.__name__)}, "
                    f"not {type(value).__name__} {value!r}; write it as one (no quotes around a number)")
        return None


_TYPE_WORDS = {bool: "true or false", int: "a whole number", float: "a finite number", str: "a string"}


def value_fits(value: Any, wanted: type) -> bool:
    if wanted is bool:
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if wanted is int:
        return isinstance(value, int)
    if wanted is float:
        return isinstance(value, (int, float)) and math.isfinite(value)
    return isinstance(value, wanted)
