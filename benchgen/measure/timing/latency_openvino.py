"""CPU latency with OpenVINO at batch 1: the second CPU column, timed like the first.

A variant's OpenVINO subject is a `LatencySubject` of benchgen.measure.timing.latency_cpu with an
`OpenVinoRunner` behind it, so it goes through the same warm-up, the same interleaved rounds, the
same contention rule and calibration probe as ONNX Runtime, and the same end-to-end phase for
trained models. Subjects of both backends (and of both precisions) can share one set of rounds
(`measure_cpu_latencies` takes any mix), which is how the two columns are compared with each other:
on one machine, in one session. The figures of two machines are not comparable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from benchgen.measure.timing.latency_cpu import (DEFAULT_BUDGET_S, LatencySubject, check_arguments,
                                                 measure_cpu_latencies, probe_image)
from benchgen.measure.graph.model_files import lookup, model_files
from benchgen.measure.backends.openvino_runner import OpenVinoRunner
from benchgen.registry.schema import Family, Registry, Variant
from benchgen.results.schema import Result

#: the metric table's entries this module measures (benchgen.metrics)
KIND = "latency-openvino-cpu"
METRIC = "latency_openvino_cpu_ms"


def subject_of(family: Family, variant: Variant, weights: Path | None = None, threads: int | None = None,
               image: Path | None = None, seed: int = 0, precision: str = "fp32") -> LatencySubject:
    from benchgen.measure.graph.quantize import with_precision

    model = with_precision(model_files(family, variant, weights, seed), precision)
    probe, probe_name = probe_image(image)
    # peak_memory measures an ONNX Runtime session; OpenVINO's would be another figure, not measured yet
    return LatencySubject(model, OpenVinoRunner(model.onnx_path, threads), probe, probe_name, kind=KIND,
                          metric=METRIC, tag=f"[openvino-cpu {precision}]",
                          memory_error="peak memory is measured for ONNX Runtime sessions only, not for "
                                       "OpenVINO's compiled model")


def measure_openvino_latency(variant_id: str, weights: Path | None = None, budget_s: float = DEFAULT_BUDGET_S,
                             threads: int | None = None, registry: Registry | None = None, image: Path | None = None,
                             seed: int = 0, allow_busy: bool = False, precision: str = "fp32",
                             log: Callable[[str], None] | None = None) -> Result:
    check_arguments(budget_s, threads)
    family, variant = lookup(variant_id, registry)
    subject = subject_of(family, variant, weights, threads, image, seed, precision)
    outcome = measure_cpu_latencies([subject], budget_s, allow_busy=allow_busy, threads=threads, log=log)[subject.id]
    if isinstance(outcome, Exception):
        raise outcome
    return outcome
