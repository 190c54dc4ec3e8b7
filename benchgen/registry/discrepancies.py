"""Flag published figures whose sources disagree by more than measurement noise would explain."""

from __future__ import annotations

from dataclasses import dataclass

from benchgen.metrics import METRICS
from benchgen.registry.schema import Family, PublishedModel, Registry, ReportedValue

#: Two sources agree within `Metric.source_tolerance` (benchgen.metrics): latency and sizes compare
#: relatively (5 %), AP in absolute points (0.2).


@dataclass(frozen=True)
class Discrepancy:
    metric: str
    values: tuple[ReportedValue, ...]
    spread: float  # absolute points for AP, max/min - 1 for the others

    def describe(self) -> str:
        kind, _ = METRICS[self.metric].source_tolerance
        amount = f"{self.spread:.1f} AP" if kind == "absolute" else f"{self.spread * 100:.0f} %"
        listed = "; ".join(f"{v.value:g} ({v.source_name})" for v in self.values)
        return f"sources disagree by {amount}: {listed}"


def find_discrepancy(metric: str, values: list[ReportedValue]) -> Discrepancy | None:
    """The widest disagreement among values that claim to measure the same thing: a V100 and a T4
    latency of one model differ because the GPUs do, so latencies are compared per hardware."""
    groups: dict[str | None, list[ReportedValue]] = {}
    for value in values:
        groups.setdefault(value.hardware if METRICS[metric].timed else None, []).append(value)
    found = [d for group in groups.values() if (d := _spread(metric, group)) is not None]
    return max(found, key=lambda d: d.spread) if found else None


def _spread(metric: str, values: list[ReportedValue]) -> Discrepancy | None:
    if len(values) < 2:
        return None
    kind, tolerance = METRICS[metric].source_tolerance
    low, high = min(v.value for v in values), max(v.value for v in values)
    spread = high - low if kind == "absolute" else (high / low - 1 if low > 0 else float("inf"))
    if spread <= tolerance + 1e-12:
        return None
    return Discrepancy(metric, tuple(values), spread)


def registry_discrepancies(registry: Registry) -> list[tuple[Family, PublishedModel, Discrepancy]]:
    """Measured variants and the reported-only other models alike: both are published figures."""
    found = []
    for family in registry.families:
        for model in [*family.variants, *family.other_models]:
            for metric, values in model.reported.items():
                discrepancy = find_discrepancy(metric, values)
                if discrepancy:
                    found.append((family, model, discrepancy))
    return found


#: How far a measured figure may sit from the preferred published one before the page flags it is
#: `Metric.measured_tolerance`: only parameters (3 %), since a graph count of the same architecture
#: should land that close to the authors' count; beyond it, benchgen may not be measuring the
#: published architecture, and the reader should know. FLOPs are counted by different rules
#: everywhere, latency and mAP on other machines and weights.


def measured_mismatch(metric: str, measured: float, published: ReportedValue | None) -> float | None:
    """measured / published - 1 where it exceeds the metric's tolerance, else None."""
    tolerance = METRICS[metric].measured_tolerance
    if tolerance is None or published is None or published.value <= 0:
        return None
    relative = measured / published.value - 1
    return relative if abs(relative) > tolerance + 1e-12 else None
