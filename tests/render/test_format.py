from benchgen.render.format import number


def test_measured_numbers_use_the_column_precision():
    assert number("params_m", 1.4149) == "1.4"
    assert number("latency_cpu_ms", 145.4678) == "145.47"
    assert number("map50_95", None) == "–"


def test_published_numbers_keep_the_decimals_their_source_gave():
    assert number("params_m", 1.41, published=True) == "1.41"
    assert number("flops_g", 6.04, published=True) == "6.04"
    assert number("params_m", 8.5, published=True) == "8.5"
    assert number("latency_trt_ms", 2.3, published=True) == "2.30"  # padded to the column, never cut
    assert number("map50_95", 42.0, published=True) == "42.0"
