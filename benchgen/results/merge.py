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

from benchgen.metrics import KINDS, METRICS, machine_bound_metrics
from benchgen.registry.schema import Family, Registry, ReportedValue, Variant
from benchgen.results.index import ResultHeader, Results, as_headers
from benchgen.results.schema import Machine, Result

Origin = Literal["measured", "reported"]


def machine_bound(kind: str) -> bool:
    """Latency belongs to the machine it was timed on; accuracy and size to none (benchgen.metrics)."""
    entry = KINDS.get(kind)
    return entry is not None and entry.machine_bound


def preferred_reported(values: list[ReportedValue], metric: str | None = None) -> ReportedValue | None:
    """Official sources first, then registry order: the registry lists sources deliberately. For a
    column with a reference hardware (`Metric.reference_hardware`: the field publishes TensorRT
    figures on a T4, and a V100 figure in the same column would be ranked, bolded, charted and
    compared against T4 figures as if it were one of them), values timed on it come first."""
    if not values:
        return None
    reference = METRICS[metric].reference_hardware if metric in METRICS else None
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


def summarize_machine(results: Results, machine_id: str) -> MachineSummary | None:
    own = [h for h in as_headers(results) if h.machine_id == machine_id and h.status == "ok"]
    if not own:
        return None
    probes = [h for h in own if h.probe_ms]
    dates = [h.date for h in own]
    return MachineSummary(first=min(dates), last=max(dates), results=len(own),
                          probe_ms=statistics.median(h.probe_ms for h in probes) if probes else None,
                          probe=probes[-1].probe if probes else None)


@dataclass
class Table:
    machine: Machine | None
    rows: list[Row]
    summary: MachineSummary | None = None
    #: "int8": a machine's view of the INT8 graphs (their latencies and mAP; the FP32 graph's size)
    precision: str = "fp32"

    @property
    def view_id(self) -> str:
        """The picker's value for this view: the machine id, "<id>@int8" for its INT8 view."""
        if self.machine is None:
            return "reported"
        return self.machine.id if self.precision == "fp32" else f"{self.machine.id}@{self.precision}"

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
        graphs = "" if self.precision == "fp32" else f", {self.precision.upper()} graphs"
        return f"Measured on {self.machine.label}{when}{graphs}"

    @property
    def has_measurements(self) -> bool:
        """Whether any cell holds a measurement, or a failed or unstable attempt."""
        return any(c.measured is not None or c.failure is not None for r in self.rows for c in r.cells.values())

    @functools.cached_property
    def latency_counts(self) -> tuple[int, int]:
        """(published, unstable): latency cells of this machine that show a figure, and those whose
        latest timing came out unstable (shown as a note, never as a figure)."""
        cells = [row.cells[m] for row in self.rows for m in machine_bound_metrics()]
        return (sum(c.measured is not None for c in cells),
                sum(c.failure is not None and c.failure.status == "unstable" for c in cells))

    @property
    def unstable_rows(self) -> list[Row]:
        """Rows whose latest timing of some latency on this machine came out unstable."""
        return [r for r in self.rows if any(r.cells[m].failure is not None and r.cells[m].failure.status == "unstable"
                                            for m in machine_bound_metrics())]

    def for_families(self, family_ids: list[str]) -> "Table":
        return Table(self.machine, [r for r in self.rows if r.family.id in family_ids], self.summary, self.precision)


def machines(results: Results) -> list[Machine]:
    """Machines with latency results, most recently measured first: the first is the default view."""
    latest: dict[str, ResultHeader] = {}
    for header in as_headers(results):
        if machine_bound(header.kind):
            latest[header.machine_id] = header
    ordered = sorted(latest.values(), key=lambda h: h.date, reverse=True)
    return [h.machine for h in ordered]


def _histories(headers: list[ResultHeader], machine_id: str,
               precision: str = "fp32") -> dict[tuple[str, str], list[ResultHeader]]:
    """(variant, kind) -> its results in order, in one pass: those of `machine_id` for the kinds bound
    to a machine, those of every machine for the others; of `precision` where a kind has figures per
    precision, of the FP32 graph for a precision-free kind (size: quantising changes no count). A GPU kind has no INT8
    figure (its backends build their own FP16 engines), so an INT8 view has none."""
    histories: dict[tuple[str, str], list[ResultHeader]] = {}
    for h in headers:
        wanted = "fp32" if h.kind in KINDS and KINDS[h.kind].precision_free else precision
        if h.precision != wanted:
            continue
        if not machine_bound(h.kind) or h.machine_id == machine_id:
            histories.setdefault((h.variant, h.kind), []).append(h)
    return histories


def build_table(registry: Registry, results: Results, machine: Machine | None, precision: str = "fp32") -> Table:
    """One row per registry variant; `results` (results or their headers) must be sorted oldest first
    (load_results and load_headers do). Only the results a cell shows are read in full. An INT8 view
    shows no reported accuracy or latency: publications give those for FP32 or FP16 models."""
    headers = as_headers(results)
    histories = _histories(headers, machine.id if machine else "", precision)
    rows = []
    for family, variant in registry.variants():
        cells = {}
        for metric in METRICS:
            kind = METRICS[metric].kind
            history = histories.get((variant.id, kind), [])
            ok = [h for h in history if h.status == "ok" and metric in h.metrics]
            published = precision == "fp32" or KINDS[kind].precision_free
            cell = Cell(metric=metric, reported=list(variant.reported.get(metric, [])) if published else [])
            if ok:
                cell.measured = ok[-1].load()
                cell.previous = ok[-2].load() if len(ok) > 1 else None
            if history and history[-1].status != "ok":
                cell.failure = history[-1].load()
            cells[metric] = cell
        rows.append(Row(family=family, variant=variant, cells=cells))
    return Table(machine=machine, rows=rows, summary=summarize_machine(headers, machine.id) if machine else None,
                 precision=precision)


def int8_machines(results: Results) -> set[str]:
    """Machines with at least one INT8 latency result: they get an INT8 view."""
    return {h.machine_id for h in as_headers(results) if h.precision == "int8" and machine_bound(h.kind)}
