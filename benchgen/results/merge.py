"""Merge what authors reported with what benchgen measured into one table per machine.

Measured wins for display, but both are kept: the pages show the measurement, the reported value
beside it, and where each came from. Accuracy and size do not depend on the machine, so the latest
measurement from any machine is used for them; latency belongs to the machine it was timed on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from benchgen.registry.schema import METRICS, Family, Registry, ReportedValue, Variant
from benchgen.results.schema import KIND_METRICS, Machine, Result

Origin = Literal["measured", "reported"]
MACHINE_BOUND_KINDS = {"latency-cpu", "latency-gpu", "latency-torch-cuda"}
METRIC_KIND = {metric: kind for kind, metrics in KIND_METRICS.items() for metric in metrics}


def preferred_reported(values: list[ReportedValue]) -> ReportedValue | None:
    """Official sources first, then registry order: the registry lists sources deliberately."""
    if not values:
        return None
    official = [v for v in values if v.official]
    return (official or values)[0]


@dataclass
class Cell:
    metric: str
    reported: list[ReportedValue] = field(default_factory=list)
    measured: Result | None = None  # latest successful measurement
    previous: Result | None = None  # the successful measurement before it, for history deltas
    failure: Result | None = None  # latest measurement if it failed after the last success

    @property
    def preferred(self) -> ReportedValue | None:
        return preferred_reported(self.reported)

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


@dataclass
class Table:
    machine: Machine | None
    rows: list[Row]

    def row(self, variant_id: str) -> Row:
        for row in self.rows:
            if row.variant.id == variant_id:
                return row
        raise KeyError(variant_id)

    def for_families(self, family_ids: list[str]) -> "Table":
        return Table(self.machine, [r for r in self.rows if r.family.id in family_ids])


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
            if history and history[-1].status == "failed":
                cell.failure = history[-1]
            cells[metric] = cell
        rows.append(Row(family=family, variant=variant, cells=cells))
    return Table(machine=machine, rows=rows)
