from benchgen.results.history import delta


def test_latency_regression_beyond_ten_percent():
    assert delta("latency_cpu_ms", 10.0, 11.5).regression
    assert not delta("latency_cpu_ms", 10.0, 10.9).regression  # noise
    assert delta("latency_cpu_ms", 10.0, 8.0).improvement


def test_map_regression_is_absolute():
    assert delta("map50_95", 31.0, 30.6).regression
    assert not delta("map50_95", 31.0, 30.8).regression
    assert not delta("map50_95", 31.0, 32.0).regression
    assert delta("map50_95", 31.0, 30.6).describe() == "-0.4 AP"


def test_no_previous_no_delta():
    assert delta("map50_95", None, 31.0) is None


def test_a_latency_change_inside_the_confidence_intervals_is_noise():
    # +11 % on the medians, but the two 95 % intervals overlap: a noisy machine, not a regression
    assert not delta("latency_cpu_ms", 1960.0, 2184.0, (1916.0, 2073.0), (2058.0, 2332.0)).regression
    # +30 % with disjoint intervals is a regression
    assert delta("latency_cpu_ms", 290.0, 379.0, (270.0, 309.0), (363.0, 391.0)).regression
    # without intervals (reported-style data) the threshold alone decides
    assert delta("latency_cpu_ms", 1960.0, 2184.0).regression


def test_result_delta_reads_the_stored_intervals():
    from benchgen.results.history import result_delta
    from tests.conftest import make_result, make_timing

    def timed(median, low, high):
        result = make_result("alpha-s", "latency-cpu", {"latency_cpu_ms": median})
        result.timing = make_timing(median, low, high)
        return result

    change = result_delta("latency_cpu_ms", timed(100.0, 95.0, 105.0), timed(115.0, 104.0, 130.0))
    assert change.previous_ci == (95.0, 105.0) and not change.regression
    assert result_delta("latency_cpu_ms", timed(100.0, 95.0, 105.0), timed(115.0, 110.0, 120.0)).regression
    assert result_delta("latency_cpu_ms", None, timed(1.0, 1.0, 1.0)) is None


def _timed(median_scale: float, probe_ms: float | None = 5.0, seed: int = 0, n: int = 200, spread: float = 0.05):
    """A latency result with `n` raw samples around 100 ms x `median_scale`."""
    import numpy as np

    from tests.conftest import make_result, make_timing

    rng = np.random.default_rng(seed)
    samples = (100.0 * median_scale * (1 + spread * np.abs(rng.standard_normal(n)))).tolist()
    result = make_result("alpha-s", "latency-cpu", {"latency_cpu_ms": float(np.median(samples))})
    result.timing = make_timing(float(np.median(samples)), samples=samples, probe_ms=probe_ms)
    return result


def test_same_distribution_twice_is_no_change():
    from benchgen.results.history import result_delta

    change = result_delta("latency_cpu_ms", _timed(1.0, seed=1), _timed(1.0, seed=2))
    assert not change.regression and not change.improvement and change.p_value > 0.01


def test_a_thirty_percent_slowdown_is_a_regression():
    from benchgen.results.history import result_delta

    change = result_delta("latency_cpu_ms", _timed(1.0, seed=1), _timed(1.3, seed=2))
    assert change.regression and change.p_value < 1e-6 and change.machine_ratio == 1.0


def test_a_slowdown_the_probe_shares_is_the_machine():
    from benchgen.results.history import result_delta

    change = result_delta("latency_cpu_ms", _timed(1.0, probe_ms=5.0, seed=1), _timed(1.3, probe_ms=6.5, seed=2))
    assert change.relative > 0.25 and abs(change.normalized_relative) < 0.05
    assert not change.regression


def test_borderline_sizes_and_probes_of_another_version():
    from benchgen.results.history import result_delta

    # +8 %: significant on 200 samples, but under the 10 % threshold
    assert not result_delta("latency_cpu_ms", _timed(1.0, seed=1), _timed(1.08, seed=2)).regression
    other = _timed(1.3, probe_ms=6.5, seed=2)
    other.timing.calibration.probe_version = 2  # a different probe: its ratio means nothing
    change = result_delta("latency_cpu_ms", _timed(1.0, seed=1), other)
    assert change.machine_ratio is None and change.regression


def test_a_large_but_insignificant_change_is_noise():
    from benchgen.results.history import result_delta

    # three samples each, wildly spread: +30 % on the medians, nothing a test can vouch for
    before, after = _timed(1.0, n=3, spread=2.0, seed=3), _timed(1.3, n=3, spread=2.0, seed=4)
    change = result_delta("latency_cpu_ms", before, after)
    assert change.p_value > 0.01 and not change.regression
