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
    from tests.conftest import make_result

    def timed(median, low, high):
        result = make_result("alpha-s", "latency-cpu", {"latency_cpu_ms": median})
        result.details = {"network": {"median": median, "ci_low": low, "ci_high": high}}
        return result

    change = result_delta("latency_cpu_ms", timed(100.0, 95.0, 105.0), timed(115.0, 104.0, 130.0))
    assert change.previous_ci == (95.0, 105.0) and not change.regression
    assert result_delta("latency_cpu_ms", timed(100.0, 95.0, 105.0), timed(115.0, 110.0, 120.0)).regression
    assert result_delta("latency_cpu_ms", None, timed(1.0, 1.0, 1.0)) is None
