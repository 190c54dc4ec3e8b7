"""Merge what authors reported with what benchgen measured into one table per machine.

Measured wins for display, but both are kept: the pages show the measurement, the reported value
beside it, and where each came from. Accuracy and size do not depend on the machine, so the latest
measurement from any machine is used for them; latency belongs to the machine it was timed on.
"""

from __future__ import annotations

import datetime as dt
import functools
import statistics
from dataclasses import dataclass, field
from typing import Literal

from benchgen.registry.schema import METRICS, Family, Registry, ReportedValue, Variant
from benchgen.results.schema import METRIC_KINDS as METRIC_KIND
from benchgen.results.schema import Machine, Result

Origin = Literal["measured", "reported"]
MACHINE_BOUND_KINDS = {"latency-cpu", "latency-gpu", "latency-torch-cuda"}


#: The hardware a reported latency column is read on when a variant's sources time it on several:
#: the field publishes TensorRT figures on a T4, and a V100 figure in the same column would be
#: ranked (bolded, charted, compared) against T4 figures as if it were one of them.
REFERENCE_HARDWARE: dict[str, str] = {"latency_trt_ms": "NVIDIA T4"}


def preferred_reported(values: list[ReportedValue], metric: str | None = None) -> ReportedValue | None:
    """Official sources first, then registry order: the registry lists sources deliberately. For a
    column with a reference hardware, values timed on it come before those timed on anything else."""
    if not values:
        return None
    reference = REFERENCE_HARDWARE.get(metric or "")
    on_reference = [v for v in values if v.hardware == reference] if reference else []
    pool = on_reference or values
    official = [v for v in pool if v.official]
    return (official or pool)[0]


@dataclass
class Cell:
    metric: str
    reported: list[ReportedValue] = field(default_factory=list)
    measured: Result | None = None  # latest successful measurement
    previous: Result | None = None  # the successful measurement before it, for history deltas
    failure: Result | None = None  # latest measurement if it failed or was unstable after the last success

    @functools.cached_property
    def preferred(self) -> ReportedValue | None:
        """Cached: the analysis of every page that shows the cell asks again (`reported` is set once)."""
        return preferred_reported(self.reported, self.metric)

    @property
    def origin(self) -> Origin | None:
        if self.measured is not None:
            return "measured"
        return "reported" if self.reported else None

    @property
    def value(self) -> float | None:
        if self.measured is not None:
            return self.measured.metrics[self.metric]
        preferred = self.preferred
        return preferred.value if preferred else None


@dataclass
class Row:
    family: Family
    variant: Variant
    cells: dict[str, Cell]


@dataclass(frozen=True)
class MachineSummary:
    """What a reader needs to judge a machine's column: when it measured and how fast it was."""

    first: dt.datetime
    last: dt.datetime
    results: int
    probe_ms: float | None  # median calibration-probe time over its latency results
    probe: str | None  # what the probe is

    def describe(self) -> str:
        when = (f"{self.first:%Y-%m-%d}" if self.first.date() == self.last.date()
                else f"{self.first:%Y-%m-%d} to {self.last:%Y-%m-%d}")
        text = f"{self.results} measurement{'s' if self.results != 1 else ''}, {when}"
        if self.probe_ms is not None:
            text += f"; calibration probe {self.probe_ms:.3g} ms"
        return text


def summarize_machine(results: list[Result], machine_id: str) -> MachineSummary | None:
    own = [r for r in results if r.provenance.machine.id == machine_id and r.status == "ok"]
    if not own:
        return None
    probes = [r.details["calibration"] for r in own if isinstance(r.details.get("calibration"), dict)
              and r.details["calibration"].get("median_ms")]
    dates = [r.provenance.date for r in own]
    return MachineSummary(first=min(dates), last=max(dates), results=len(own),
                          probe_ms=statistics.median(p["median_ms"] for p in probes) if probes else None,
                          probe=probes[-1].get("probe") if probes else None)


@dataclass
class Table:
    machine: Machine | None
    rows: list[Row]
    summary: MachineSummary | None = None

    def row(self, variant_id: str) -> Row:
        for row in self.rows:
            if row.variant.id == variant_id:
                return row
        raise KeyError(variant_id)

    @property
    def view_label(self) -> str:
        """The name of this view in pickers and charts: whose numbers, and when they were taken."""
        if self.machine is None:
            return "Reported by the authors"
        when = f", {self.summary.last:%Y-%m-%d}" if self.summary else ""
        return f"Measured on {self.machine.label}{when}"

    @property
    def has_measurements(self) -> bool:
        """Whether any cell holds a measurement, or a failed or unstable attempt."""
        return any(c.measured is not None or c.failure is not None for r in self.rows for c in r.cells.values())

    def for_families(self, family_ids: list[str]) -> "Table":
        return Table(self.machine, [r for r in self.rows if r.family.id in family_ids], self.summary)


def machines(results: list[Result]) -> list[Machine]:
    """Machines with latency results, most recently measured first: the first is the default view."""
    latest: dict[str, Result] = {}
    for result in results:
        if result.kind in MACHINE_BOUND_KINDS:
            latest[result.provenance.machine.id] = result
    ordered = sorted(latest.values(), key=lambda r: r.provenance.date, reverse=True)
    return [r.provenance.machine for r in ordered]


def _history(results: list[Result], variant: str, kind: str, machine_id: str | None) -> list[Result]:
    return [
        r for r in results
        if r.variant == variant and r.kind == kind
        and (machine_id is None or r.provenance.machine.id == machine_id)
    ]


def build_table(registry: Registry, results: list[Result], machine: Machine | None) -> Table:
    """One row per registry variant; `results` must be sorted oldest first (load_results does)."""
    rows = []
    for family, variant in registry.variants():
        cells = {}
        for metric in METRICS:
            kind = METRIC_KIND[metric]
            machine_id = (machine.id if machine else "") if kind in MACHINE_BOUND_KINDS else None
            history = _history(results, variant.id, kind, machine_id)
            ok = [r for r in history if r.status == "ok" and metric in r.metrics]
            cell = Cell(metric=metric, reported=list(variant.reported.get(metric, [])))
            if ok:
                cell.measured = ok[-1]
                cell.previous = ok[-2] if len(ok) > 1 else None
            if history and history[-1].status != "ok":
                cell.failure = history[-1]
            cells[metric] = cell
        rows.append(Row(family=family, variant=variant, cells=cells))
    return Table(machine=machine, rows=rows, summary=summarize_machine(results, machine.id) if machine else None)
