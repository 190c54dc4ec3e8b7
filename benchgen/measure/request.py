"""What one measurement is asked to measure, as objects: the refresh plan hands these to the
measuring functions of the metric table (benchgen.metrics), so nothing past the CLI looks a variant
up again by its id."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from benchgen.registry.schema import Family, Registry, Variant


@dataclass(frozen=True)
class MeasureRequest:
    family: Family
    variant: Variant
    backend: str
    weights: Path | None = None
    seed: int = 0
    #: the registry the variant came from (accuracy and provider builds read its file paths)
    registry: Registry | None = None
    images: Path | None = None
    annotations: Path | None = None
    latency_budget_s: float = 20.0
    allow_busy: bool = False
    #: told where timings done together stand (measure.rounds.RoundsProgress), for a progress line
    progress: Callable[[Any], None] | None = None
    #: "fp32" (the exported graph) or "int8" (its post-training quantised copy, benchgen.measure.graph.quantize)
    precision: str = "fp32"
