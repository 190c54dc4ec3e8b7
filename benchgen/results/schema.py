"""The one typed definition of a measurement result file.

One JSON file per measurement (variant x kind x machine x time). Its JSON Schema is generated
from these classes and published on the site, so readers of the raw data know what each field is.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from typing_extensions import TypedDict

from benchgen.metrics import KINDS, METRICS, timed_metric

#: 2: timing statistics in a typed `timing` block, and accuracy's detections key in its own field
#: (schema-1 files are read as they are on disk: `Result._read_schema_1`);
#: 3: p95/p99 in the timing statistics, the end-to-end split in a typed `stages` block and the
#: session's peak memory in `memory` (schema-2 files are read as they are: `Result._read_schema_2`)
SCHEMA_VERSION = 3

#: how far a result's date may lie after this machine's clock: clocks of two machines disagree
#: by seconds when synchronised, by hours with a wrong time zone; a year ahead is not skew
CLOCK_SKEW = dt.timedelta(days=1)

#: ok: a figure the pages may show. failed: the measurement raised; `error` says why.
#: unstable: a figure taken while the machine was contended or changed speed (evidence in
#: details.contention): kept for the record, never a page's headline or a regression's basis.
ResultStatus = Literal["ok", "failed", "unstable"]


class Machine(BaseModel):
    """Where a number was measured. `id` groups results; the rest lets a reader judge them."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", description="stable slug, e.g. 'cpu-amd-epyc-9554-2c'")
    label: str = Field(description="human-readable name shown on the pages")
    cpu: str
    cpu_count: int
    memory_gb: float | None = None
    os: str
    python: str
    gpu: str | None = None
    gpu_driver: str | None = None
    cuda: str | None = None
    host_id: str | None = Field(default=None, description="short hash of this machine's own benchgen identity "
                                "(a UUID kept in the user's state directory): two machines with the same CPU "
                                "and core count never share an id")


class Provenance(BaseModel):
    """Everything needed to tell whether two numbers are comparable and to reproduce one."""

    model_config = ConfigDict(extra="forbid")

    benchgen_version: str
    git_commit: str | None = Field(description="commit of the benchgen checkout; None outside git")
    git_dirty: bool | None = None
    libraries: dict[str, str] = Field(description="versions of the libraries that did the work")
    machine: Machine
    date: dt.datetime = Field(description="UTC time the measurement finished")
    command: str | None = None

    @field_validator("date")
    @classmethod
    def _not_in_the_future(cls, date: dt.datetime) -> dt.datetime:
        """A measurement cannot have finished after now: a date beyond the clock skew two machines
        may have is a wrong clock or an edited file, and a page would publish it as when the
        number was measured."""
        now = dt.datetime.now(dt.timezone.utc)
        aware = date if date.tzinfo else date.replace(tzinfo=dt.timezone.utc)
        if aware > now + CLOCK_SKEW:
            raise ValueError(f"{aware.strftime('%Y-%m-%d %H:%M')} UTC is in the future (now "
                             f"{now.strftime('%Y-%m-%d %H:%M')} UTC, and at most {CLOCK_SKEW.days} day of clock "
                             "skew is allowed): the measuring machine's clock was wrong, or the file was edited; "
                             "set that machine's clock and re-run the measurement, or delete the file")
        return date


class MetricInterval(BaseModel):
    """How far a headline figure could move: for an mAP on a subset, the bootstrap interval over its images."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    low: float = Field(description="lower end, in the metric's page units")
    high: float
    level: float = Field(default=0.95, gt=0, lt=1, description="coverage, e.g. 0.95")
    method: str = Field(description="e.g. 'percentile bootstrap over images'")
    resamples: int | None = Field(default=None, ge=1)
    seed: int | None = None
    images: int | None = Field(default=None, ge=1, description="images of the set the figure was measured on")
    std: float | None = Field(default=None, description="standard deviation of the resampled values")
    computed_from: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> "MetricInterval":
        if self.low > self.high:
            raise ValueError(f"interval low {self.low} is above high {self.high}")
        return self


class TimingStats(BaseModel):
    """Summary of the timed runs (benchgen.measure.timing.stats.LatencyStats, 6 significant digits)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    runs: int = Field(ge=1)
    median: float = Field(description="the headline figure, ms")
    p90: float
    p95: float | None = Field(default=None, description="95th percentile, ms (None: a schema-1/2 result whose "
                              "samples were not stored)")
    p99: float | None = None
    tails_from: Literal["all runs", "stored samples"] | None = Field(
        default=None, description="what p95/p99 were computed from: every timed run, or (results written before "
        "schema 3) the stored samples, thinned evenly to at most 1,000, so a p99 of fewer runs than were timed")
    mean: float
    std: float
    min: float
    max: float
    ci_low: float = Field(description="distribution-free confidence interval of the median (order statistics)")
    ci_high: float
    confidence: float = Field(gt=0, lt=1)


class StageTimes(BaseModel):
    """The end-to-end phase of a trained model on a real image: pre-processing, the network inside the
    pipeline, and post-processing (decode and NMS), each timed on every run (latency_cpu.time_end_to_end)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    preprocess: TimingStats
    inference: TimingStats = Field(description="the network's session.run inside the pipeline")
    postprocess: TimingStats
    end_to_end: TimingStats
    stop_reason: str | None = None
    probe_detections: int | None = Field(default=None, description="detections the last run kept")
    contention: dict[str, Any] | None = Field(default=None, description="the phase's own load window and its "
                                              "verdict (a busy one is recorded, not a status change)")


class PeakMemory(BaseModel):
    """Peak resident memory of one model's ONNX Runtime session, from a process of its own."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    peak_mb: float = Field(ge=0, description="high-water resident set of the process after session creation and "
                           "the runs, minus the high-water mark before the session was created, MiB")
    baseline_mb: float = Field(ge=0, description="high-water resident set before the session (Python, numpy, "
                               "onnxruntime imported, the input built), MiB")
    runs: int = Field(ge=1)
    method: str


class Calibration(BaseModel):
    """The calibration probe run before, between and after the rounds: how fast the machine itself was."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    probe_version: int = Field(description="timings of probes of different versions are not compared")
    probe: str = Field(description="what the probe is")
    median_ms: float
    before_ms: float
    after_ms: float
    drift: float = Field(description="after / before - 1")
    per_round_ms: list[float]


class Timing(BaseModel):
    """Everything a timing's headline rests on, read by the claim rule (interval and round spread), the
    regression test (raw samples, calibration) and the pages."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    stats: TimingStats
    samples: list[float] = Field(default_factory=list, description="raw samples in ms (thinned evenly to at most "
                                 "1,000), for the significance test against the next measurement")
    round_medians_ms: list[float] = Field(default_factory=list, description="median of each interleaved round, "
                                          "where the timing ran in rounds")
    calibration: Calibration | None = None

    @model_validator(mode="after")
    def _tails_of_older_results(self) -> "Timing":
        """Results written before schema 3 kept no p95/p99 but their samples: the tails come from those
        (thinned evenly over the whole timing, so the same runs in the same proportions), and say so."""
        if self.stats.p95 is None and self.samples:
            self.stats.p95 = float(f"{np.percentile(self.samples, 95):.6g}")
            self.stats.p99 = float(f"{np.percentile(self.samples, 99):.6g}")
            self.stats.tails_from = "stored samples"
        return self

    @property
    def interval(self) -> tuple[float, float]:
        return self.stats.ci_low, self.stats.ci_high

    def spread_range(self, value: float) -> tuple[float, float]:
        """The median's interval widened to the spread of the round medians (the claim rule's range)."""
        low, high = self.interval
        return min(low, value, *self.round_medians_ms), max(high, value, *self.round_medians_ms)


class ContentionDetails(TypedDict, total=False):
    """details.contention: the load evidence of a timing (more keys are kept as they are)."""

    __pydantic_config__ = ConfigDict(extra="allow", strict=True)  # type: ignore[misc]
    reasons: list[str]
    verdict: str
    allow_busy: bool


class Details(TypedDict, total=False):
    """The details benchgen reads back (pages, CLI summaries), typed: a result file from another machine or
    a pull request with a string where an object belongs must fail validation naming the field, not break
    a render halfway. Any other key is kept as it is; strict, so "12" is not a number."""

    __pydantic_config__ = ConfigDict(extra="allow", strict=True)  # type: ignore[misc]
    contention: ContentionDetails
    unstable_reason: str
    rounds: dict[str, Any]
    end_to_end: dict[str, Any] | None
    end_to_end_skipped: str
    confirmation: dict[str, Any]
    coco: dict[str, float]
    coco_summary: list[str]
    images: int
    detections: int
    detections_file: str
    from_cache: bool
    decode_warnings: int
    decode_warning_images: list[str]
    images_per_second: float
    inference_seconds: float
    traceback: list[str]


class Result(BaseModel):
    """One measurement, or the record of its failure."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    schema_version: Literal[1, 2, 3] = SCHEMA_VERSION
    variant: str
    kind: str = Field(description="what was measured: a kind of benchgen.metrics (accuracy, latency-cpu, "
                                  "latency-gpu, latency-torch-cuda, size, ...)")
    status: ResultStatus = "ok"
    precision: Literal["fp32", "int8"] = Field(
        default="fp32", description="numeric precision of the graph measured: fp32 (the exported graph) or int8 "
        "(its post-training static quantisation, calibrated on train2017 images; settings name the quantiser)")
    metrics: dict[str, float] = Field(
        default_factory=dict,
        description="headline values in page units: map50_95 in AP percent (0-100), latencies in ms, "
        "params_m in millions, flops_g in GFLOPs (2 x multiply-accumulates)",
    )
    details: Details = Field(
        default_factory=dict,
        description="everything else behind the headline: the 12 COCOeval stats, contention evidence, per-stage "
        "times",
    )
    settings: dict[str, Any] = Field(
        default_factory=dict, description="what the measurement ran with: backend, input size, threads, dataset, ..."
    )
    intervals: dict[str, MetricInterval] = Field(
        default_factory=dict, description="uncertainty of headline metrics, by metric: an accuracy measured on a "
        "subset carries the bootstrap interval of its map50_95 over the subset's images (results before accuracy "
        "method 3 have none)")
    timing: Timing | None = Field(default=None, description="a latency's statistics, samples, round medians and "
                                  "calibration")
    stages: StageTimes | None = Field(default=None, description="latency-cpu of a trained model: the end-to-end "
                                      "split (pre-processing, inference, post-processing) on a real image")
    memory: PeakMemory | None = Field(default=None, description="latency-cpu: peak resident memory of the model's "
                                      "session, measured in a fresh process")
    cache_key: str | None = Field(default=None, description="hash of everything the result depends on (the "
                                  "refresh plan's key)")
    detections_key: str | None = Field(default=None, description="accuracy: key of the cached detections it scored")
    error: str | None = None
    provenance: Provenance

    @model_validator(mode="before")
    @classmethod
    def _read_schema_1(cls, data: Any) -> Any:
        """A schema-1 file, as it is on disk, in the schema-2 shape: a timing's statistics (under the
        details key its backend used), its round medians and calibration move into `timing`, and the
        detections key that refresh kept in details becomes `detections_key`. Nothing else changes."""
        if not isinstance(data, dict) or "timing" in data or not isinstance(data.get("details"), dict):
            return data
        details = dict(data["details"])
        data = {**data, "details": details}
        if "measure_cache_key" in details and "detections_key" not in data:
            data["detections_key"] = details.pop("measure_cache_key")
        metric = timed_metric(str(data.get("kind")))
        legacy = metric.legacy_details if metric is not None else None
        stats = details.get(legacy) if legacy else None
        if legacy in details and not isinstance(stats, dict):
            raise ValueError(f"details.{legacy}: a schema-1 {data.get('kind')} result keeps its timing statistics "
                             f"here as an object, not {type(stats).__name__}")
        if not isinstance(stats, dict):
            return data
        stats = dict(details.pop(metric.legacy_details))
        timing: dict[str, Any] = {"samples": stats.pop("samples", [])}
        timing["stats"] = stats
        rounds = details.get("rounds")
        if isinstance(rounds, dict) and "round_medians_ms" in rounds:
            timing["round_medians_ms"] = rounds["round_medians_ms"]
            details["rounds"] = {k: v for k, v in rounds.items() if k != "round_medians_ms"}
        if "calibration" in details:
            timing["calibration"] = details.pop("calibration") or None
        data["timing"] = timing
        return data

    @model_validator(mode="before")
    @classmethod
    def _read_schema_2(cls, data: Any) -> Any:
        """A schema-1/2 CPU latency of a trained model kept its end-to-end split untyped in details
        (`preprocess`, `network_in_pipeline`, `postprocess`, `end_to_end`: statistics dicts): they move
        into `stages`. It touches only keys `_read_schema_1` leaves alone, so their order does not matter."""
        if not isinstance(data, dict) or "stages" in data or not isinstance(data.get("details"), dict):
            return data
        details = data["details"]
        legacy = {"preprocess": "preprocess", "inference": "network_in_pipeline", "postprocess": "postprocess",
                  "end_to_end": "end_to_end"}
        if not all(isinstance(details.get(old), dict) for old in legacy.values()):
            return data
        details = dict(details)
        stages: dict[str, Any] = {new: details.pop(old) for new, old in legacy.items()}
        stages["stop_reason"] = details.pop("end_to_end_stop_reason", None)
        stages["probe_detections"] = details.pop("probe_detections", None)
        stages["contention"] = details.pop("end_to_end_contention", None)
        return {**data, "details": details, "stages": stages}

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, kind: str) -> str:
        if kind not in KINDS:
            raise ValueError(f"{kind!r} is not a kind of measurement benchgen knows ({', '.join(KINDS)})")
        return kind

    @field_validator("metrics")
    @classmethod
    def _plausible(cls, metrics: dict[str, float]) -> dict[str, float]:
        for metric, value in metrics.items():
            if metric not in METRICS:
                raise ValueError(f"metrics.{metric}: not a metric benchgen knows ({', '.join(METRICS)})")
            problem = METRICS[metric].implausible(value)
            if problem:
                raise ValueError(f"metrics.{metric}: {problem}")
        return metrics

    @model_validator(mode="after")
    def _measured_what_it_claims(self) -> "Result":
        strays = [m for m in self.metrics if METRICS[m].kind != self.kind]
        if strays:
            raise ValueError(f"metrics {', '.join(strays)} do not belong to a {self.kind} result")
        loose = [m for m in self.intervals if m not in self.metrics]
        if loose:
            raise ValueError(f"intervals {', '.join(loose)} belong to no metric of this result")
        weights = str(self.settings.get("weights", ""))
        if self.kind == "accuracy" and self.status == "ok" and weights.startswith("random"):
            raise ValueError(f"an accuracy result with weights {weights!r}: the mAP of fixed-seed random weights "
                             "is not a measurement of the model; measure with the official checkpoint (--weights)")
        return self


def unstable_reasons(result: Result) -> list[str]:
    """Why a result is unstable, whichever backend judged it (CPU contention, GPU throttling)."""
    reasons = list((result.details.get("contention") or {}).get("reasons") or [])
    if result.details.get("unstable_reason"):
        reasons.append(str(result.details["unstable_reason"]))
    return reasons


def result_json_schema() -> dict[str, Any]:
    schema = Result.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "benchgen result"
    return schema
