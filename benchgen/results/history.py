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

if TYPE_CHECKING:
    from benchgen.results.schema import Result

#: What counts as a real change rather than noise: (kind, threshold) per metric, in the direction of
#: "worse". Latency on a shared machine wanders by a few percent; AP on a fixed dataset is
#: deterministic up to kernel differences, so a few tenths of a point is already a signal.
REGRESSION_RULES: dict[str, tuple[str, float]] = {
    "latency_cpu_ms": ("relative", 0.10),
    "latency_trt_ms": ("relative", 0.10),
    "latency_torch_cuda_ms": ("relative", 0.10),
    "map50_95": ("absolute", 0.3),
    "params_m": ("relative", 0.001),
    "flops_g": ("relative", 0.001),
}
LOWER_IS_BETTER = {"latency_cpu_ms", "latency_trt_ms", "latency_torch_cuda_ms", "params_m", "flops_g"}
#: where a result keeps the timing statistics (with the median's confidence interval) of a metric
TIMING_DETAILS = {"latency_cpu_ms": "network", "latency_trt_ms": "gpu_compute", "latency_torch_cuda_ms": "compute"}
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
        kind, threshold = REGRESSION_RULES[self.metric]
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
        return self.absolute > 0 if self.metric in LOWER_IS_BETTER else self.absolute < 0

    @property
    def regression(self) -> bool:
        return self.worse and self._beyond()

    @property
    def improvement(self) -> bool:
        return not self.worse and self.absolute != 0 and self._beyond()

    def describe(self) -> str:
        if self.metric in ("map50_95",):
            return f"{self.absolute:+.1f} AP"
        rel = self.relative
        return f"{rel * 100:+.1f} %" if rel is not None else f"{self.absolute:+.3g}"


def delta(metric: str, previous: float | None, current: float | None, previous_ci: Interval | None = None,
          current_ci: Interval | None = None, p_value: float | None = None,
          machine_ratio: float | None = None) -> Delta | None:
    if previous is None or current is None:
        return None
    return Delta(metric, previous, current, previous_ci, current_ci, p_value, machine_ratio)


def _timing(result: "Result", metric: str) -> dict:
    stats = (result.details or {}).get(TIMING_DETAILS.get(metric, ""), {})
    return stats if isinstance(stats, dict) else {}


def median_interval(result: "Result | None", metric: str) -> Interval | None:
    stats = _timing(result, metric) if result is not None else {}
    if "ci_low" in stats and "ci_high" in stats:
        return float(stats["ci_low"]), float(stats["ci_high"])
    return None


def mann_whitney_p(previous: Sequence[float], current: Sequence[float]) -> float:
    """One-sided p-value that `current` is shifted from `previous` in the direction its median moved."""
    import numpy as np
    from scipy.stats import mannwhitneyu

    alternative = "greater" if np.median(current) >= np.median(previous) else "less"
    return float(mannwhitneyu(current, previous, alternative=alternative).pvalue)


def machine_ratio(previous: "Result", current: "Result") -> float | None:
    """How much slower the machine itself was for `current`, by the calibration probe both ran."""
    before, after = (r.details.get("calibration") or {} for r in (previous, current))
    if not before.get("median_ms") or not after.get("median_ms"):
        return None
    if before.get("probe_version") != after.get("probe_version"):
        return None
    return float(after["median_ms"]) / float(before["median_ms"])


def result_delta(metric: str, previous: "Result | None", current: "Result | None") -> Delta | None:
    """Delta between two measurements of one metric, with every piece of evidence both stored."""
    if previous is None or current is None:
        return None
    p_value = ratio = None
    if metric in TIMING_DETAILS:
        before, after = _timing(previous, metric).get("samples"), _timing(current, metric).get("samples")
        if before and after:
            p_value = mann_whitney_p(before, after)
        ratio = machine_ratio(previous, current)
    return delta(metric, previous.metrics.get(metric), current.metrics.get(metric),
                 median_interval(previous, metric), median_interval(current, metric), p_value, ratio)
