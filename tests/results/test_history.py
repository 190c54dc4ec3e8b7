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
