from benchgen.registry import ReportedValue, load_registry
from benchgen.registry.discrepancies import find_discrepancy, registry_discrepancies


def rv(value, official=True):
    return ReportedValue(value=value, source="https://example.org", source_name="x", official=official)


def test_latency_tolerance_is_five_percent():
    assert find_discrepancy("latency_trt_ms", [rv(10.0), rv(10.49)]) is None
    found = find_discrepancy("latency_trt_ms", [rv(10.0), rv(10.6)])
    assert found is not None and abs(found.spread - 0.06) < 1e-9


def test_map_tolerance_is_absolute():
    assert find_discrepancy("map50_95", [rv(46.0), rv(46.2)]) is None
    assert find_discrepancy("map50_95", [rv(46.0), rv(46.3)]) is not None


def test_single_source_never_disagrees():
    assert find_discrepancy("map50_95", [rv(46.0)]) is None


def test_default_registry_flags_the_known_latency_disagreements():
    found = {(v.id, d.metric): d for _f, v, d in registry_discrepancies(load_registry())}
    for variant, official, copied in [("damo-yolo-t", 2.78, 2.32), ("damo-yolo-s", 3.83, 3.45),
                                      ("damo-yolo-m", 5.62, 5.09), ("damo-yolo-l", 7.95, 7.18),
                                      ("rtdetrv2-s", 4.61, 5.03), ("rtdetrv2-m", 6.90, 7.51),
                                      ("rtdetrv2-l", 9.26, 9.76), ("rtdetrv2-x", 13.51, 15.03)]:
        values = sorted(v.value for v in found[(variant, "latency_trt_ms")].values)
        assert values == sorted([official, copied]), variant
    # r34vd has only the official figure: nothing to disagree with
    assert ("rtdetrv2-r34vd", "latency_trt_ms") not in found


def test_other_models_are_checked_for_disagreements_too(make_registry):
    from tests.conftest import two_family_docs

    docs = two_family_docs()
    figure = {"source": "https://example.org/a", "source_name": "A", "official": True}
    docs[1]["other_models"] = [{"id": "beta-n", "name": "BETA-N", "input_size": 416, "relation": "Nano.",
                                "reported": {"map50_95": [{"value": 30.0, **figure},
                                                          {**figure, "value": 31.0, "official": False}]}}]
    found = [(m.id, d.metric) for _f, m, d in registry_discrepancies(make_registry(docs))]
    assert found == [("beta-n", "map50_95")]


def hw(value, hardware, official=True):
    return ReportedValue(value=value, source="https://example.org", source_name="x", official=official,
                         hardware=hardware)


def test_latencies_on_different_hardware_never_disagree_but_ap_ignores_hardware():
    assert find_discrepancy("latency_trt_ms", [hw(6.2, "NVIDIA V100"), hw(8.0, "NVIDIA T4", False)]) is None
    found = find_discrepancy("latency_trt_ms", [hw(6.2, "NVIDIA V100"), hw(8.0, "NVIDIA T4", False),
                                                 hw(9.0, "NVIDIA T4", False)])
    assert found is not None and {v.hardware for v in found.values} == {"NVIDIA T4"}
    assert find_discrepancy("map50_95", [hw(46.0, "a"), hw(47.0, "b")]) is not None
