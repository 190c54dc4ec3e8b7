"""The one table of what benchgen measures: every metric, every kind of measurement, every backend.

pyperf keeps each metric's facts in a single METADATA table; this is that table for benchgen. A
metric's label, unit, direction, decimals, plausible range, the tolerance within which two sources
agree, the size of a change that counts as a regression, the kind of measurement that provides it
and how the chart and the analysis name it are written here once, and every other module (the
registry and results schemas, the history and claim rules, the tables, charts and templates, the
refresh plan and its cache keys, the CLI) reads them from here. A new backend is then its measuring
module plus one `Backend`, one `Kind` and one `Metric` entry below, and nothing else:
tests/test_metrics.py adds a fake one for the length of a test (`registered`) and follows it through
plan, results, table, chart and claims.

Functions are named by dotted path ("module:function") and imported only when called, so reading
the table never imports torch, TensorRT or ONNX Runtime.
"""

from __future__ import annotations

import contextlib
import importlib
import math
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Literal

#: a function, or where to find one: "package.module:function", imported on first use
FunctionRef = str | Callable[..., Any]


def resolve(ref: FunctionRef) -> Callable[..., Any]:
    if callable(ref):
        return ref
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(module), name)


def _ap_phrase(value: float) -> str:
    """One decimal, as published, unless the value has more: a tie at 0.49 AP must not read as 0.5."""
    return f"{value:.1f} AP" if abs(round(value, 1) - value) < 1e-6 else f"{value:.2f} AP"


@dataclass(frozen=True)
class Metric:
    """One headline figure, in the units the pages use."""

    id: str
    #: column header (benchgen's own HTML: units may carry <sup>)
    label: str
    unit: str
    better: Literal["higher", "lower"]
    decimals: int
    #: (lowest, highest, whether the lowest is allowed), in page units: beyond it is a unit mistake
    plausible: tuple[float, float, bool]
    #: the kind of measurement that provides it (a `Kind` id)
    kind: str
    #: two published sources disagree beyond this: ("absolute" | "relative", amount)
    source_tolerance: tuple[str, float]
    #: a change of a measured figure beyond this counts (refresh flags it): ("absolute" | "relative", amount)
    regression: tuple[str, float]
    #: how the analysis writes a value in a sentence
    phrase: Callable[[float], str]
    #: the unit as the plausibility error says it (AP is a percentage without a unit column)
    unit_text: str = ""
    #: what prose calls it ("mAP", "latency", "parameters"): metrics of one name share a tolerance sentence
    name: str = ""
    #: publications report it, so a registry may; False for columns benchgen alone measures (shown only
    #: where a measurement, or a failed attempt, exists)
    reported: bool = True
    #: a timing: its result carries a `Timing` block (median, its interval, round medians, samples)
    timed: bool = False
    #: where a schema-1 result kept the timing statistics in its details (read by the migration only)
    legacy_details: str | None = None
    #: how far a measured figure may sit from the preferred published one before the page flags it
    measured_tolerance: float | None = None
    #: for a latency on the chart and in the analysis: its name there, and its place (GPU figures first)
    chart_label: str | None = None
    chart_rank: int | None = None
    #: header of the reported-only tables, whose figures come from other runtimes than the column's
    other_label: str | None = None
    #: the hardware a reported column is read on when sources time a variant on several
    reference_hardware: str | None = None
    #: the column is timed on the view's GPU, so its header names it
    gpu_column: bool = False

    @property
    def lower_is_better(self) -> bool:
        return self.better == "lower"

    def implausible(self, value: float) -> str | None:
        """Why `value` cannot be a figure of this metric, or None. NaN and infinities are never figures."""
        if not math.isfinite(value):
            return f"{self.id} is {value}, not a finite number"
        low, high, low_allowed = self.plausible
        unit = self.unit or self.unit_text
        if value < low or (value == low and not low_allowed):
            return f"{self.id} is {value:g}, must be {'at least' if low_allowed else 'above'} {low:g} {unit}".rstrip()
        if value > high:
            return f"{self.id} is {value:g} {unit}, above the plausible {high:g} {unit} (a unit mistake?)"
        return None


@dataclass(frozen=True)
class Kind:
    """One kind of measurement: the figures it provides and how a refresh runs it."""

    id: str
    metrics: tuple[str, ...]
    #: bump when the method changes, so its old results become stale (history in refresh/cache_key.py)
    method_version: int
    #: its figures belong to the machine they were taken on (latency), not to any machine (accuracy, size)
    machine_bound: bool
    #: `(request: MeasureRequest) -> Result`
    measure: FunctionRef | None = None
    #: `(family, variant, weights, seed=, precision=) -> LatencySubject`: a job of this kind is timed
    #: with every other CPU latency job of its refresh (any backend, any precision) in shared interleaved
    #: rounds (benchgen.measure.timing.latency_cpu.measure_jobs) instead of one at a time
    cpu_subject: FunctionRef | None = None
    #: the family pages chart its successful measurements over time
    history: bool = False
    #: what computes it, as the site's front page names it
    engine: str = ""
    #: it is judged by the CPU contention rule, so the machine's load now decides whether to re-time it
    #: (a GPU timing's instability is throttling, which the load does not predict)
    cpu_contention: bool = False
    #: its figures are the FP32 graph's whatever the precision (quantising changes no parameter or
    #: FLOP count): an INT8 view shows the FP32 result
    precision_free: bool = False


@dataclass(frozen=True)
class Backend:
    """What a refresh can measure with: the kinds it provides and how to find it on this machine."""

    id: str
    kinds: tuple[str, ...]
    #: `() -> str`, the id of the machine its results belong to; raises BackendUnavailable where it cannot run
    machine: FunctionRef
    #: `() -> dict`, what besides the model decides its figures (library versions, GPU), for the cache key
    fingerprint: FunctionRef
    #: it runs benchgen's own PyTorch modules, so only families with an implementation
    implementations_only: bool = False
    #: accuracy is measured with it where trained weights and a dataset are at hand
    accuracy: bool = False
    #: a refresh without --backend measures with it (False: only when named, e.g. a second CPU column
    #: that would double a first refresh's timing time)
    default: bool = True
    help: str = ""


@dataclass(frozen=True)
class Figure:
    """A figure beside a metric's headline (its tail, its memory, its end-to-end split), from the same
    result: shown compactly next to the headline, in `benchgen list --json` and in `load_frame()`, but
    never ranked, charted, claimed or regression-tested; the headline stays the metric's median."""

    id: str
    #: short header of the compact tables
    label: str
    unit: str
    decimals: int
    #: the headline metric it stands beside (its kind's results carry it)
    of: str
    #: where a result keeps it: a dotted path of attributes of `benchgen.results.schema.Result`
    path: str
    #: the details key whose text says why a result lacks it (e.g. "end_to_end_skipped"), if any
    why_missing_key: str | None = None
    #: why a result lacks it when that key says nothing (an older method, typically)
    missing_text: str = "not recorded"
    #: the column of the compact table it shares with the figures of the same group ("p95 / p99")
    group: str = ""
    #: a dotted path to what the figure was computed from, and the caveat a page shows where that
    #: is not the usual source (the tails of schema-2 results come from their stored samples)
    source_path: str | None = None
    usual_source: str | None = None
    caveat: str = ""


METRICS: dict[str, Metric] = {m.id: m for m in (
    Metric("map50_95", "mAP<sup>val</sup> 50-95", "", "higher", 1, (0.0, 100.0, True), "accuracy",
           source_tolerance=("absolute", 0.2), regression=("absolute", 0.3), phrase=_ap_phrase, unit_text="AP %", name="mAP"),
    Metric("latency_cpu_ms", "CPU ONNX (ms)", "ms", "lower", 2, (0.0, 600_000.0, False), "latency-cpu",
           source_tolerance=("relative", 0.05), regression=("relative", 0.10), phrase=lambda v: f"{v:.2f} ms",
           timed=True, legacy_details="network", chart_label="CPU ONNX Runtime", chart_rank=2,
           other_label="CPU (ms)", name="latency"),
    Metric("latency_trt_ms", "TensorRT FP16 (ms)", "ms", "lower", 2, (0.0, 600_000.0, False), "latency-gpu",
           source_tolerance=("relative", 0.05), regression=("relative", 0.10), phrase=lambda v: f"{v:.2f} ms",
           timed=True, legacy_details="gpu_compute", chart_label="TensorRT FP16", chart_rank=0,
           reference_hardware="NVIDIA T4", name="latency"),
    Metric("latency_torch_cuda_ms", "PyTorch CUDA FP16 (ms)", "ms", "lower", 2, (0.0, 600_000.0, False),
           "latency-torch-cuda", source_tolerance=("relative", 0.05), regression=("relative", 0.10),
           phrase=lambda v: f"{v:.2f} ms", reported=False, timed=True, legacy_details="compute",
           chart_label="PyTorch CUDA FP16", chart_rank=1, gpu_column=True, name="latency"),
    Metric("latency_openvino_cpu_ms", "CPU OpenVINO (ms)", "ms", "lower", 2, (0.0, 600_000.0, False),
           "latency-openvino-cpu", source_tolerance=("relative", 0.05), regression=("relative", 0.10),
           phrase=lambda v: f"{v:.2f} ms", reported=False, timed=True, chart_label="CPU OpenVINO", chart_rank=3,
           name="latency"),
    # counted from the graph: a tiny graph can round to 0.0 M; authors count train-mode graphs, so a
    # graph count of the same architecture lands within 3 % (folded BatchNorm, anchor constants,
    # rounding of "2.6 M"); FLOPs are counted by different rules everywhere, so they get no such check
    Metric("params_m", "params (M)", "M", "lower", 1, (0.0, 100_000.0, True), "size",
           source_tolerance=("relative", 0.05), regression=("relative", 0.001),
           phrase=lambda v: f"{v:.1f} M parameters", measured_tolerance=0.03, name="parameters"),
    Metric("flops_g", "FLOPs (G)", "G", "lower", 1, (0.0, 1_000_000.0, True), "size",
           source_tolerance=("relative", 0.05), regression=("relative", 0.001),
           phrase=lambda v: f"{v:.1f} GFLOPs", name="FLOPs"),
)}

FIGURES: dict[str, Figure] = {f.id: f for f in (
    # tails of every timed run of the network phase (schema-2 results: of their stored samples, said so)
    Figure("latency_cpu_p50_ms", "p50", "ms", 2, "latency_cpu_ms", "timing.stats.median", group="tail"),
    Figure("latency_cpu_p95_ms", "p95", "ms", 2, "latency_cpu_ms", "timing.stats.p95", group="tail",
           missing_text="no samples stored", source_path="timing.stats.tails_from", usual_source="all runs",
           caveat="of the stored samples (at most 1,000, thinned evenly over the timing): timed before result "
                  "schema 3 kept p95/p99"),
    Figure("latency_cpu_p99_ms", "p99", "ms", 2, "latency_cpu_ms", "timing.stats.p99", group="tail",
           missing_text="no samples stored", source_path="timing.stats.tails_from", usual_source="all runs",
           caveat="of the stored samples (at most 1,000, thinned evenly over the timing): timed before result "
                  "schema 3 kept p95/p99"),
    Figure("peak_memory_mib", "peak memory", "MiB", 0, "latency_cpu_ms", "memory.peak_mb", "memory_skipped",
           "timed before latency-cpu method 6, which measures peak memory", group="memory"),
    # the end-to-end phase of a trained model on a real image (random weights would time NMS on noise)
    Figure("preprocess_ms", "pre", "ms", 2, "latency_cpu_ms", "stages.preprocess.median", "end_to_end_skipped",
           "no end-to-end phase recorded", group="split"),
    Figure("inference_ms", "inference", "ms", 2, "latency_cpu_ms", "stages.inference.median", "end_to_end_skipped",
           "no end-to-end phase recorded", group="split"),
    Figure("postprocess_ms", "post", "ms", 2, "latency_cpu_ms", "stages.postprocess.median", "end_to_end_skipped",
           "no end-to-end phase recorded", group="split"),
)}

KINDS: dict[str, Kind] = {k.id: k for k in (
    Kind("accuracy", ("map50_95",), 3, machine_bound=False, measure="benchgen.measure.accuracy.evaluate:measure_request",
         history=True, engine="faster-coco-eval (the COCOeval of pycocotools, in C++)"),
    # latency-cpu 6 (history of 2-5 in refresh/cache_key.py): the figure's method changed: adaptive
    # run counts (a variant whose median is known to ±1 % leaves, its saved time buys the others extra
    # rounds: measure.rounds.Ledger) and slot-level slow-phase detection (a speed-up reference read at
    # both ends of every slot, a slow slot timed again: contention.judge_reference); besides, every
    # model's peak session memory is measured in a fresh process before the rounds, and p95/p99 and
    # the typed end-to-end split are kept
    Kind("latency-cpu", ("latency_cpu_ms",), 6, machine_bound=True,
         cpu_subject="benchgen.measure.timing.latency_cpu:subject_of", history=True, engine="ONNX Runtime",
         cpu_contention=True),
    Kind("latency-openvino-cpu", ("latency_openvino_cpu_ms",), 1, machine_bound=True,
         cpu_subject="benchgen.measure.timing.latency_openvino:subject_of", history=True, engine="OpenVINO",
         cpu_contention=True),
    Kind("latency-gpu", ("latency_trt_ms",), 1, machine_bound=True,
         measure="benchgen.measure.timing.latency_tensorrt:measure_request", history=True, engine="TensorRT"),
    Kind("latency-torch-cuda", ("latency_torch_cuda_ms",), 1, machine_bound=True,
         measure="benchgen.measure.timing.latency_torch:measure_request", history=True, engine="PyTorch CUDA"),
    Kind("size", ("params_m", "flops_g"), 1, machine_bound=False, measure="benchgen.measure.graph.size:measure_request",
         engine="the exported ONNX graph", precision_free=True),
)}

BACKENDS: dict[str, Backend] = {b.id: b for b in (
    Backend("ort-cpu", ("size", "latency-cpu"), machine="benchgen.measure.backends.discovery:cpu_machine_id",
            fingerprint="benchgen.measure.backends.discovery:ort_fingerprint_cpu", accuracy=True,
            help="ONNX Runtime on the CPU: sizes, CPU latency, and mAP with trained weights"),
    Backend("openvino-cpu", ("latency-openvino-cpu",), machine="benchgen.measure.backends.discovery:cpu_machine_id",
            fingerprint="benchgen.measure.backends.openvino_runner:openvino_fingerprint",
            default=False, help="OpenVINO on the CPU (batch-1 latency hint): a second CPU latency column, "
            "measured when named (--backend openvino-cpu)"),
    Backend("tensorrt", ("latency-gpu",), machine="benchgen.measure.backends.tensorrt_engine:gpu_machine_id",
            fingerprint="benchgen.measure.backends.tensorrt_engine:engine_fingerprint", help="TensorRT FP16 GPU latency"),
    Backend("torch-cuda", ("latency-torch-cuda",), machine="benchgen.measure.timing.latency_torch:torch_gpu_machine_id",
            fingerprint="benchgen.measure.timing.latency_torch:torch_fingerprint", implementations_only=True,
            help="PyTorch CUDA FP16 latency of benchgen's own modules"),
)}


def metric(metric_id: str) -> Metric:
    try:
        return METRICS[metric_id]
    except KeyError:
        raise KeyError(f"unknown metric {metric_id!r}; known: {', '.join(METRICS)}") from None


def kind_of(metric_id: str) -> str:
    return METRICS[metric_id].kind


def timed_metric(kind_id: str) -> Metric | None:
    """The timing a kind of measurement provides, or None (accuracy, size)."""
    kind = KINDS.get(kind_id)
    for metric_id in kind.metrics if kind else ():
        if METRICS[metric_id].timed:
            return METRICS[metric_id]
    return None


def reported_metrics() -> list[str]:
    """Metrics a registry can report: every column but those benchgen alone measures."""
    return [m.id for m in METRICS.values() if m.reported]


def machine_bound_metrics() -> list[str]:
    return [m.id for m in METRICS.values() if KINDS[m.kind].machine_bound]


def chart_latencies() -> list[Metric]:
    """The latencies the charts and the analysis compare on, in their order of preference."""
    return sorted((m for m in METRICS.values() if m.chart_label), key=lambda m: m.chart_rank or 0)


def measurement_kinds() -> list[str]:
    return sorted(KINDS)


def source_tolerance_text() -> str:
    """e.g. "mAP 0.2 AP, latency 5 %, parameters 5 %": within these, two published sources agree."""
    said: dict[str, str] = {}
    for m in METRICS.values():
        kind, amount = m.source_tolerance
        text = f"{amount:g} {m.unit or m.unit_text.split()[0]}" if kind == "absolute" else f"{amount * 100:g} %"
        said.setdefault(m.name or m.id, text)
    return ", ".join(f"{name} {text}" for name, text in said.items())


def figures_of(metric_id: str) -> list[Figure]:
    return [f for f in FIGURES.values() if f.of == metric_id]


@contextlib.contextmanager
def registered(*entries: Metric | Kind | Backend) -> Iterator[None]:
    """Add entries to the table for the duration of a block (a plugin's or a test's backend)."""
    added: list[tuple[dict, str, Any]] = []
    try:
        for entry in entries:
            table: dict = METRICS if isinstance(entry, Metric) else KINDS if isinstance(entry, Kind) else BACKENDS
            added.append((table, entry.id, table.get(entry.id)))
            table[entry.id] = entry
        check()
        yield
    finally:
        for table, key, before in reversed(added):
            if before is None:
                table.pop(key, None)
            else:
                table[key] = before


def runs_int8(kind: str) -> bool:
    """The kinds with an INT8 figure of their own, from the INT8 QDQ graph: the CPU timings and accuracy
    (the GPU kinds build their own FP16 engines; parameters and FLOPs are the FP32 graph's)."""
    return kind == "accuracy" or KINDS[kind].cpu_contention


def check() -> None:
    """The table holds together: every metric's kind exists and lists it, every backend's kinds exist."""
    for m in METRICS.values():
        if m.kind not in KINDS or m.id not in KINDS[m.kind].metrics:
            raise ValueError(f"metric {m.id}: kind {m.kind!r} does not list it")
    for k in KINDS.values():
        unknown = [m for m in k.metrics if m not in METRICS]
        if unknown:
            raise ValueError(f"kind {k.id}: unknown metrics {', '.join(unknown)}")
        if (k.measure is None) == (k.cpu_subject is None):
            raise ValueError(f"kind {k.id}: give exactly one of measure and cpu_subject")
    for f in FIGURES.values():
        if f.of not in METRICS or f.id in METRICS:
            raise ValueError(f"figure {f.id}: {f.of!r} is no metric, or the figure's id is a metric's")
    for b in BACKENDS.values():
        unknown = [k for k in b.kinds if k not in KINDS]
        if unknown:
            raise ValueError(f"backend {b.id}: unknown kinds {', '.join(unknown)}")


check()

