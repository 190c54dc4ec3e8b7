"""Latency statistics and the stopping rule, on samples whose answers are known."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from benchgen.measure.timing.stats import StoppingRule, median_ci, run_until_stable, summarize


def test_exact_median_interval_for_ten_samples():
    """Binomial(10, 1/2): P(X <= 1) = 11/1024 <= 2.5 % < P(X <= 2) = 56/1024, so ranks 2 and 9."""
    assert median_ci(list(range(1, 11))) == (2.0, 9.0)


def test_too_few_samples_give_the_whole_range():
    assert median_ci([3.0, 1.0, 2.0]) == (1.0, 3.0)  # P(X = 0) = 1/8 > 2.5 %: no narrower interval


def test_interval_covers_the_true_median_as_often_as_promised():
    """Skewed samples (log-normal, true median 1), both the exact (n=40) and the approximate (n=400) branch."""
    rng = np.random.default_rng(0)
    for n, trials in ((40, 2000), (400, 600)):
        hits = 0
        for _ in range(trials):
            low, high = median_ci(rng.lognormal(0.0, 0.5, n))
            hits += low <= 1.0 <= high
        assert hits / trials >= 0.93, n


def test_summary_statistics():
    samples = list(range(1, 101))
    stats = summarize(samples)
    assert (stats.runs, stats.median, stats.mean, stats.min, stats.max) == (100, 50.5, 50.5, 1.0, 100.0)
    assert stats.p90 == pytest.approx(90.1)
    assert stats.std == pytest.approx(np.std(samples, ddof=1))
    assert stats.ci_low <= stats.median <= stats.ci_high
    assert set(stats.as_dict()) >= {"median", "p90", "mean", "std", "runs", "ci_low", "ci_high"}


def stepper(values):
    """A fake step returning the next value (milliseconds) as nanoseconds."""
    it = iter(values)
    return lambda: int(next(it) * 1e6)


def test_stable_samples_stop_as_soon_as_the_interval_is_tight():
    samples, reason = run_until_stable(stepper(itertools.repeat(5.0)), StoppingRule(budget_s=60, min_runs=30))
    assert (len(samples), reason) == (30, "ci")


def test_noisy_samples_run_until_the_budget():
    rng = np.random.default_rng(1)
    noisy = (float(v) for v in rng.uniform(1.0, 10.0, 10**6))
    samples, reason = run_until_stable(stepper(noisy), StoppingRule(budget_s=0.05, rel_ci=0.0001))
    assert reason == "budget" and len(samples) > 30


def test_run_cap():
    samples, reason = run_until_stable(stepper(itertools.repeat(1.0)), StoppingRule(max_runs=7, min_runs=30))
    assert (len(samples), reason) == (7, "max-runs")


def test_interval_is_checked_at_geometric_counts():
    rule = StoppingRule(min_runs=30)
    counts = [0]
    while counts[-1] < 10_000:
        counts.append(rule.next_check(counts[-1]))
    assert counts[1] == 30 and len(counts) < 60  # a few dozen sorts for ten thousand runs
