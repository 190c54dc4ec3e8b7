"""Latency statistics and the rule that decides when a timing loop has run long enough.

Latency samples are skewed (a floor set by the hardware, a long tail from the OS and other
processes), so the headline is the median and its precision is judged by a distribution-free
confidence interval: the order statistics whose ranks bracket the median with the requested
probability under Binomial(n, 1/2). No normality is assumed about the latencies themselves.
A loop stops once that interval is tight relative to the median, or when its time budget is spent,
so fast models are timed precisely without slow ones running for ever.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from statistics import NormalDist
from typing import Callable, Sequence

import numpy as np

#: below this many samples the exact binomial ranks are cheap; above it the normal approximation is exact enough
_EXACT_UP_TO = 300


def _lower_rank(n: int, confidence: float) -> int:
    """1-based rank j with P(X < j) <= (1 - confidence) / 2 for X ~ Binomial(n, 1/2); 0 if none exists."""
    alpha_half = (1.0 - confidence) / 2.0
    if n <= _EXACT_UP_TO:
        cumulative, rank = 0.0, 0
        for k in range(n + 1):
            cumulative += math.exp(math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) - n * math.log(2))
            if cumulative > alpha_half:
                return rank
            rank = k + 1
        return rank
    z = NormalDist().inv_cdf(1.0 - alpha_half)
    return max(0, math.floor(n / 2 - z * math.sqrt(n) / 2))


def median_ci(samples: Sequence[float], confidence: float = 0.95) -> tuple[float, float]:
    """Order-statistic interval that covers the true median with at least `confidence` probability."""
    xs = np.sort(np.asarray(samples, dtype=np.float64))
    n = len(xs)
    if n == 0:
        raise ValueError("no samples")
    rank = _lower_rank(n, confidence)
    if rank < 1:  # too few samples for that confidence: the widest interval there is
        return float(xs[0]), float(xs[-1])
    return float(xs[rank - 1]), float(xs[n - rank])


def median_is_tight(samples: Sequence[float], rel_ci: float, confidence: float = 0.95) -> bool:
    """Whether the median is known to ±`rel_ci` of itself at `confidence`."""
    low, high = median_ci(samples, confidence)
    median = float(np.median(samples))
    return median > 0 and (high - low) / 2.0 <= rel_ci * median


@dataclass(frozen=True)
class LatencyStats:
    runs: int
    median: float
    p90: float
    #: the tail a deployer budgets for (LibreYOLO's Vision Analysis publishes p50/p95/p99): of every run
    p95: float
    p99: float
    mean: float
    std: float
    min: float
    max: float
    ci_low: float  # confidence interval of the median
    ci_high: float
    confidence: float

    @property
    def rel_halfwidth(self) -> float:
        return (self.ci_high - self.ci_low) / 2.0 / self.median if self.median > 0 else math.inf

    def as_dict(self, significant: int = 6) -> dict[str, float | int]:
        """Significant digits, not decimals: a 5 µs model and a 5 s model keep the same precision."""
        return {k: (float(f"{v:.{significant}g}") if isinstance(v, float) else v) for k, v in asdict(self).items()}


def summarize(samples: Sequence[float], confidence: float = 0.95) -> LatencyStats:
    xs = np.asarray(samples, dtype=np.float64)
    if xs.size == 0:
        raise ValueError("no samples")
    low, high = median_ci(xs, confidence)
    return LatencyStats(runs=int(xs.size), median=float(np.median(xs)), p90=float(np.percentile(xs, 90)),
                        p95=float(np.percentile(xs, 95)), p99=float(np.percentile(xs, 99)),
                        mean=float(xs.mean()), std=float(xs.std(ddof=1)) if xs.size > 1 else 0.0,
                        min=float(xs.min()), max=float(xs.max()), ci_low=low, ci_high=high, confidence=confidence)


@dataclass
class StoppingRule:
    """Stop when the median is known to ±`rel_ci` (at `confidence`), or the budget or run cap is reached."""

    budget_s: float = 10.0
    min_runs: int = 50
    max_runs: int = 1_000_000
    rel_ci: float = 0.01
    confidence: float = 0.95

    def next_check(self, runs: int) -> int:
        """Checks at geometrically spaced run counts: sorting every few runs would cost more than a tiny model."""
        return max(self.min_runs, runs + max(10, runs // 10))

    def reason(self, samples: Sequence[float], elapsed_s: float) -> str | None:
        """Why to stop now, or None to go on."""
        if len(samples) >= self.max_runs:
            return "max-runs"
        if len(samples) >= self.min_runs and median_is_tight(samples, self.rel_ci, self.confidence):
            return "ci"
        if elapsed_s >= self.budget_s:
            return "budget"
        return None


def run_until_stable(step: Callable[[], int], rule: StoppingRule) -> tuple[list[float], str]:
    """Call `step` (which returns the nanoseconds it timed) until `rule` says stop; samples in ms.

    The budget is checked after every step (one clock read); the interval only at `next_check` counts.
    """
    samples: list[float] = []
    clock = time.perf_counter_ns
    start = clock()
    deadline = start + int(rule.budget_s * 1e9)
    check_at = rule.next_check(0)
    while True:
        samples.append(step() / 1e6)
        now = clock()
        if len(samples) >= rule.max_runs:
            return samples, "max-runs"
        if now >= deadline:
            return samples, "budget"
        if len(samples) >= check_at:
            reason = rule.reason(samples, (now - start) / 1e9)
            if reason is not None:
                return samples, reason
            check_at = rule.next_check(len(samples))
