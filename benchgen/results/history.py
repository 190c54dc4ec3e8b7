"""Change of a measured figure against the previous measurement, and whether it is beyond noise.

Noise is judged twice for latencies: the change must pass the metric's threshold, and the two
medians' 95 % confidence intervals (stored with each timing) must not overlap. A shared 2-core
VM drifts by 10-20 % between minutes; a threshold alone would flag that drift as a regression.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

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
Interval = tuple[float, float]


@dataclass(frozen=True)
class Delta:
    metric: str
    previous: float
    current: float
    previous_ci: Interval | None = None
    current_ci: Interval | None = None

    @property
    def absolute(self) -> float:
        return self.current - self.previous

    @property
    def relative(self) -> float | None:
        return self.absolute / self.previous if self.previous else None

    def _beyond(self) -> bool:
        kind, threshold = REGRESSION_RULES[self.metric]
        size = abs(self.relative or 0.0) if kind == "relative" else abs(self.absolute)
        return size > threshold and not self._intervals_overlap()

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
          current_ci: Interval | None = None) -> Delta | None:
    if previous is None or current is None:
        return None
    return Delta(metric, previous, current, previous_ci, current_ci)


def median_interval(result: "Result | None", metric: str) -> Interval | None:
    stats = (result.details or {}).get(TIMING_DETAILS.get(metric, ""), {}) if result is not None else {}
    if isinstance(stats, dict) and "ci_low" in stats and "ci_high" in stats:
        return float(stats["ci_low"]), float(stats["ci_high"])
    return None


def result_delta(metric: str, previous: "Result | None", current: "Result | None") -> Delta | None:
    """Delta between two measurements of one metric, with their confidence intervals where stored."""
    if previous is None or current is None:
        return None
    return delta(metric, previous.metrics.get(metric), current.metrics.get(metric),
                 median_interval(previous, metric), median_interval(current, metric))
