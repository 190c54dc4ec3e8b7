"""The contract of an architecture provider: what a built-in provider or a plugin distribution gives.

A provider builds a family's official architecture from an installed package (its own code, its
own config files) with fixed-seed weights and exports it to ONNX; from then on benchgen measures the
file exactly as it measures its own exports. So a provider is data plus two functions:
`fingerprint` (the versions that decide what an export holds, read cheaply: it enters every cache
key, and a refresh with nothing stale computes it) and `export` (write the ONNX file). Plugins
expose one `ProviderSpec` through the `benchgen.providers` entry-point group.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from benchgen.errors import BackendUnavailable


class ProviderUnavailable(BackendUnavailable):
    """The provider's package is not installed here; the message names the install command."""


@dataclass(frozen=True)
class ExportRequest:
    """One export: the official config, how to build it and the complete export arguments."""

    config: str
    options: dict[str, Any]
    export: dict[str, Any]
    seed: int
    output: Path
    #: a release checkpoint the provider loads strictly into the built architecture (None: fixed-seed weights)
    weights: Path | None = None


@dataclass(frozen=True)
class ProviderSpec:
    name: str
    summary: str  # one line for messages and `benchgen list`
    install: str  # the command that installs the provider, named wherever it is missing
    #: versions (and anything else) that decide what an export holds; raises ProviderUnavailable
    fingerprint: Callable[[], dict[str, str]]
    #: writes request.output; returns facts for the result's provenance (package version, opset, ...)
    export: Callable[[ExportRequest], dict[str, Any]]
    #: the export arguments the package documents as its defaults, given the variant's input size
    export_defaults: Callable[[int], dict[str, Any]] = lambda input_size: {}
    #: every accepted build option with its default (unknown ones are registry errors)
    options: dict[str, Any] = field(default_factory=dict)
    #: None when the registry's options and export arguments fit, else why not (one sentence)
    check: Callable[[dict[str, Any], dict[str, Any], int], str | None] | None = None
    #: the version of what loads a release checkpoint (ExportRequest.weights); None: the provider takes none
    weights_loader: Callable[[], str] | None = None

    def export_arguments(self, input_size: int, given: dict[str, Any]) -> dict[str, Any]:
        return {**self.export_defaults(input_size), **given}

    def build_options(self, given: dict[str, Any]) -> dict[str, Any]:
        return {**self.options, **given}

    def problem(self, options: dict[str, Any], export: dict[str, Any], input_size: int) -> str | None:
        unknown = sorted(set(options) - set(self.options))
        if unknown:
            return (f"provider {self.name!r} has no build option {', '.join(unknown)}; its options: "
                    f"{', '.join(sorted(self.options)) or 'none'}")
        if self.check is None:
            return None
        return self.check(self.build_options(options), self.export_arguments(input_size, export), input_size)
