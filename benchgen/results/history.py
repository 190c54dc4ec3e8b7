"""Change of a measured figure against the previous measurement, and whether it is beyond noise.

A latency change counts only when three tests agree, as asv's `compare` does it:
- its size passes the metric's threshold (10 %);
- it is significant on the raw samples stored with both results: a one-sided Mann-Whitney U test
  at the 1 % level (where a result has no samples, the two medians' 95 % intervals must be disjoint);
- it survives normalisation by the calibration probe: if the probe slowed by the same factor
  between the two measurements, the machine changed, not the model.
Accuracy, parameters and FLOPs are deterministic given their inputs, so their threshold alone decides.
`benchgen refresh` re-measures a flagged variant before it publishes the flag (see refresh.run).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from benchgen.metrics import METRICS

if TYPE_CHECKING:
    from benchgen.results.schema import Result, Timing

#: What counts as a real change rather than noise, per metric, is `Metric.regression` in
#: benchgen.metrics (in the direction of "worse"): latency on a shared machine wanders by a few
#: percent (10 %); AP on a fixed dataset is deterministic up to kernel differences, so a few tenths
#: of a point (0.3 AP) is already a signal; counts change only with the graph (0.1 %).
#: significance level of the one-sided Mann-Whitney U test on the raw samples
ALPHA = 0.01
Interval = tuple[float, float]


@dataclass(frozen=True)
class Delta:
    metric: str
    previous: float
    current: float
    previous_ci: Interval | None = None
    current_ci: Interval | None = None
    p_value: float | None = None  # Mann-Whitney U, one-sided in the direction of the change
    machine_ratio: float | None = None  # calibration probe now / then; None when not comparable

    @property
    def absolute(self) -> float:
        return self.current - self.previous

    @property
    def relative(self) -> float | None:
        return self.absolute / self.previous if self.previous else None

    @property
    def normalized_relative(self) -> float | None:
        """The change once the machine's own change of speed (the probe's ratio) is divided out."""
        if self.relative is None or not self.machine_ratio:
            return self.relative
        return (self.current / self.previous) / self.machine_ratio - 1.0

    def _size_passes(self, relative: float | None) -> bool:
        kind, threshold = METRICS[self.metric].regression
        return (abs(relative or 0.0) if kind == "relative" else abs(self.absolute)) > threshold

    @property
    def significant(self) -> bool:
        if self.p_value is not None:
            return self.p_value < ALPHA
        return not self._intervals_overlap()

    def _beyond(self) -> bool:
        return (self._size_passes(self.relative) and self._size_passes(self.normalized_relative)
                and self.significant)

    def _intervals_overlap(self) -> bool:
        if self.previous_ci is None or self.current_ci is None:
            return False
        return self.previous_ci[0] <= self.current_ci[1] and self.current_ci[0] <= self.previous_ci[1]

    @property
    def worse(self) -> bool:
        return self.absolute > 0 if METRICS[self.metric].lower_is_better else self.absolute < 0

    @property
    def regression(self) -> bool:
        return self.worse and self._beyond()

    @property
    def improvement(self) -> bool:
        return not self.worse and self.absolute != 0 and self._beyond()

    def describe(self) -> str:
        metric = METRICS[self.metric]
        if metric.regression[0] == "absolute":  # AP points
            return f"{self.absolute:+.1f} {metric.unit or metric.unit_text.split()[0]}"
        rel = self.relative
        return f"{rel * 100:+.1f} %" if rel is not None else f"{self.absolute:+.3g}"


def delta(metric: str, previous: float | None, current: float | None, previous_ci: Interval | None = None,
          current_ci: Interval | None = None, p_value: float | None = None,
          machine_ratio: float | None = None) -> Delta | None:
    if previous is None or current is None:
        return None
    return Delta(metric, previous, current, previous_ci, current_ci, p_value, machine_ratio)


def _timing(result: "Result | None", metric: str) -> "Timing | None":
    """The result's timing block, where `metric` is a timing (a size or an mAP has none)."""
    return result.timing if result is not None and METRICS[metric].timed else None


def median_interval(result: "Result | None", metric: str) -> Interval | None:
    timing = _timing(result, metric)
    return timing.interval if timing is not None else None


def mann_whitney_p(previous: Sequence[float], current: Sequence[float]) -> float:
    """One-sided p-value that `current` is shifted from `previous` in the direction its median moved."""
    import numpy as np
    from scipy.stats import mannwhitneyu

    alternative = "greater" if np.median(current) >= np.median(previous) else "less"
    return float(mannwhitneyu(current, previous, alternative=alternative).pvalue)


def machine_ratio(previous: "Result", current: "Result") -> float | None:
    """How much slower the machine itself was for `current`, by the calibration probe both ran."""
    before, after = (r.timing.calibration if r.timing else None for r in (previous, current))
    if before is None or after is None or not before.median_ms or not after.median_ms:
        return None
    if before.probe_version != after.probe_version:
        return None
    return after.median_ms / before.median_ms


def result_delta(metric: str, previous: "Result | None", current: "Result | None") -> Delta | None:
    """Delta between two measurements of one metric, with every piece of evidence both stored."""
    if previous is None or current is None:
        return None
    p_value = ratio = None
    if METRICS[metric].timed:
        before, after = (t.samples if t else None for t in (_timing(previous, metric), _timing(current, metric)))
        if before and after:
            p_value = mann_whitney_p(before, after)
        ratio = machine_ratio(previous, current)
    return delta(metric, previous.metrics.get(metric), current.metrics.get(metric),
                 median_interval(previous, metric), median_interval(current, metric), p_value, ratio)
