"""The one typed definition of a measurement result file.

One JSON file per measurement (variant x kind x machine x time). Its JSON Schema is generated
from these classes and published on the site, so readers of the raw data know what each field is.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from benchgen.registry.schema import implausible

SCHEMA_VERSION = 1

#: how far a result's date may lie after this machine's clock: clocks of two machines disagree
#: by seconds when synchronised, by hours with a wrong time zone; a year ahead is not skew
CLOCK_SKEW = dt.timedelta(days=1)

#: ok: a figure the pages may show. failed: the measurement raised; `error` says why.
#: unstable: a figure taken while the machine was contended or changed speed (evidence in
#: details.contention): kept for the record, never a page's headline or a regression's basis.
ResultStatus = Literal["ok", "failed", "unstable"]

ResultKind = Literal["accuracy", "latency-cpu", "latency-gpu", "latency-torch-cuda", "size"]

#: Which headline metric each kind of measurement provides (keys of benchgen.registry.METRICS).
KIND_METRICS: dict[str, tuple[str, ...]] = {
    "accuracy": ("map50_95",),
    "latency-cpu": ("latency_cpu_ms",),
    "latency-gpu": ("latency_trt_ms",),
    "latency-torch-cuda": ("latency_torch_cuda_ms",),  # never mixed with TensorRT
    "size": ("params_m", "flops_g"),
}
METRIC_KINDS = {metric: kind for kind, metrics in KIND_METRICS.items() for metric in metrics}


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


class Result(BaseModel):
    """One measurement, or the record of its failure."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    schema_version: Literal[1] = SCHEMA_VERSION
    variant: str
    kind: ResultKind
    status: ResultStatus = "ok"
    metrics: dict[str, float] = Field(
        default_factory=dict,
        description="headline values in page units: map50_95 in AP percent (0-100), latencies in ms, "
        "params_m in millions, flops_g in GFLOPs (2 x multiply-accumulates)",
    )
    details: dict[str, Any] = Field(
        default_factory=dict,
        description="everything behind the headline: the 12 COCOeval stats, latency median/p90/mean/std/runs, "
        "per-stage times",
    )
    settings: dict[str, Any] = Field(
        default_factory=dict, description="what the measurement ran with: backend, input size, threads, dataset, ..."
    )
    intervals: dict[str, MetricInterval] = Field(
        default_factory=dict, description="uncertainty of headline metrics, by metric: an accuracy measured on a "
        "subset carries the bootstrap interval of its map50_95 over the subset's images (results before accuracy "
        "method 3 have none)")
    cache_key: str | None = Field(default=None, description="hash of everything the result depends on")
    error: str | None = None
    provenance: Provenance

    @field_validator("metrics")
    @classmethod
    def _plausible(cls, metrics: dict[str, float]) -> dict[str, float]:
        for metric, value in metrics.items():
            if metric not in METRIC_KINDS:
                raise ValueError(f"metrics.{metric}: not a metric benchgen knows ({', '.join(METRIC_KINDS)})")
            problem = implausible(metric, value)
            if problem:
                raise ValueError(f"metrics.{metric}: {problem}")
        return metrics

    @model_validator(mode="after")
    def _measured_what_it_claims(self) -> "Result":
        strays = [m for m in self.metrics if METRIC_KINDS[m] != self.kind]
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
