"""Change of a measured figure against the previous measurement, and whether it is beyond noise."""

from __future__ import annotations

from dataclasses import dataclass

#: What counts as a real change rather than noise: (kind, threshold) per metric, in the direction of
#: "worse". Latency on a shared machine wanders by a few percent; AP on a fixed dataset is
#: deterministic up to kernel differences, so a few tenths of a point is already a signal.
REGRESSION_RULES: dict[str, tuple[str, float]] = {
    "latency_cpu_ms": ("relative", 0.10),
    "latency_trt_ms": ("relative", 0.10),
    "map50_95": ("absolute", 0.3),
    "params_m": ("relative", 0.001),
    "flops_g": ("relative", 0.001),
}
LOWER_IS_BETTER = {"latency_cpu_ms", "latency_trt_ms", "params_m", "flops_g"}


@dataclass(frozen=True)
class Delta:
    metric: str
    previous: float
    current: float

    @property
    def absolute(self) -> float:
        return self.current - self.previous

    @property
    def relative(self) -> float | None:
        return self.absolute / self.previous if self.previous else None

    def _beyond(self) -> bool:
        kind, threshold = REGRESSION_RULES[self.metric]
        size = abs(self.relative or 0.0) if kind == "relative" else abs(self.absolute)
        return size > threshold

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


def delta(metric: str, previous: float | None, current: float | None) -> Delta | None:
    if previous is None or current is None:
        return None
    return Delta(metric, previous, current)
