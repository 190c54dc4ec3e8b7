"""The one typed definition of a measurement result file.

One JSON file per measurement (variant x kind x machine x time). Its JSON Schema is generated
from these classes and published on the site, so readers of the raw data know what each field is.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from benchgen.metrics import KINDS, METRICS, timed_metric

#: 2: timing statistics in a typed `timing` block, and accuracy's detections key in its own field
#: (schema-1 files are read as they are on disk: `Result._read_schema_1`)
SCHEMA_VERSION = 2

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
    """Summary of the timed runs (benchgen.measure.latency_stats.LatencyStats, 6 significant digits)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    runs: int = Field(ge=1)
    median: float = Field(description="the headline figure, ms")
    p90: float
    mean: float
    std: float
    min: float
    max: float
    ci_low: float = Field(description="distribution-free confidence interval of the median (order statistics)")
    ci_high: float
    confidence: float = Field(gt=0, lt=1)


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

    @property
    def interval(self) -> tuple[float, float]:
        return self.stats.ci_low, self.stats.ci_high

    def spread_range(self, value: float) -> tuple[float, float]:
        """The median's interval widened to the spread of the round medians (the claim rule's range)."""
        low, high = self.interval
        return min(low, value, *self.round_medians_ms), max(high, value, *self.round_medians_ms)


class Result(BaseModel):
    """One measurement, or the record of its failure."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    schema_version: Literal[1, 2] = SCHEMA_VERSION
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
    details: dict[str, Any] = Field(
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
        stats = details.get(metric.legacy_details) if metric is not None and metric.legacy_details else None
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
