"""The achieved rate beside a measured CPU latency: the graph's FLOPs over the median."""

from __future__ import annotations

from benchgen.render.achieved import achieved_text
from benchgen.results.merge import Cell
from tests.conftest import make_result


def cells(latency_metric: str = "latency_cpu_ms", kind: str = "latency-cpu", flops_measured: bool = True):
    latency = Cell(latency_metric, measured=make_result("a", kind, {latency_metric: 10.0}))
    flops = Cell("flops_g", measured=make_result("a", "size", {"params_m": 1.0, "flops_g": 1.08})
                 if flops_measured else None)
    return {latency_metric: latency, "flops_g": flops}


def test_a_cpu_latency_shows_flops_over_its_median():
    assert achieved_text("latency_cpu_ms", cells()) == "108 GFLOP/s"
    assert achieved_text("latency_openvino_cpu_ms", cells("latency_openvino_cpu_ms", "latency-openvino-cpu")) \
        == "108 GFLOP/s"


def test_nothing_without_a_measured_graph_count_or_for_a_gpu_timing():
    assert achieved_text("latency_cpu_ms", cells(flops_measured=False)) is None
    assert achieved_text("latency_trt_ms", cells("latency_trt_ms", "latency-gpu")) is None


def test_the_share_of_the_machines_saved_peak_follows_the_rate(tmp_path):
    from benchgen.results.peaks import load_peaks, save_peak
    from tests.conftest import MACHINE

    save_peak(tmp_path, MACHINE.id, {"all_threads": {"best_gflops": 216.0}})
    (tmp_path / "other-machine").mkdir()
    (tmp_path / "other-machine" / "cpu-peak.yaml").write_text("not: a peak\n")
    peaks = load_peaks(tmp_path)
    assert peaks == {MACHINE.id: {"fp32": 216.0}}  # one probe given: it is the peak; no INT8 probe saved
    assert achieved_text("latency_cpu_ms", cells(), peaks) == "108 GFLOP/s, 50% of FP32 peak"
    assert achieved_text("latency_cpu_ms", cells(), {"elsewhere": {"fp32": 100.0}}) == "108 GFLOP/s"


def test_an_int8_latency_is_read_against_the_int8_probe_only(tmp_path):
    from benchgen.results.peaks import load_peaks, save_peak
    from tests.conftest import MACHINE

    int8 = cells()
    int8["latency_cpu_ms"].measured.precision = "int8"
    assert achieved_text("latency_cpu_ms", int8, {MACHINE.id: {"fp32": 216.0}}) == "108 GOP/s"  # never the FP32 peak
    save_peak(tmp_path, MACHINE.id, {"all_threads": {"best_gflops": 216.0}, "single_thread": {"best_gflops": 150.0},
                                     "int8": {"all_threads": {"best_gflops": 900.0},
                                              "single_thread": {"best_gflops": 1080.0}}})
    peaks = load_peaks(tmp_path)
    assert peaks == {MACHINE.id: {"fp32": 216.0, "int8": 1080.0}}  # the faster of the two probes
    assert achieved_text("latency_cpu_ms", int8, peaks) == "108 GOP/s, 10% of INT8 peak"
    assert achieved_text("latency_cpu_ms", cells(), peaks) == "108 GFLOP/s, 50% of FP32 peak"


def test_a_machine_with_two_cpu_columns_says_they_compare_on_it_only(tmp_path):
    from benchgen.registry import load_registry
    from benchgen.render.table_view import machine_caption
    from benchgen.results.merge import build_table
    from tests.conftest import MACHINE, two_family_docs, write_registry

    registry = load_registry(write_registry(tmp_path / "reg", two_family_docs()))
    variant = registry.families[0].variants[0].id
    ort = make_result(variant, "latency-cpu", {"latency_cpu_ms": 10.0})
    ov = make_result(variant, "latency-openvino-cpu", {"latency_openvino_cpu_ms": 8.0})
    assert "compare with each other" not in machine_caption(build_table(registry, [ort], MACHINE))
    caption = machine_caption(build_table(registry, [ort, ov], MACHINE))
    assert "The CPU columns (CPU ONNX, CPU OpenVINO)" in caption and "not across machines" in caption
