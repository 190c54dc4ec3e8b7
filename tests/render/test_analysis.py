import copy

from benchgen.render.analysis import analyse_pair, interpolate, pareto_front
from benchgen.results.merge import build_table
from tests.conftest import MACHINE, make_result, make_timing, two_family_docs


def _texts(findings):
    return [f.text for f in findings]


def _timed(variant, kind, metric, ms, section=None, machine=MACHINE):
    """A latency result with the ±1 % interval of its median in its timing block."""
    result = make_result(variant, kind, {metric: ms}, machine=machine)
    result.timing = make_timing(ms, ms * 0.99, ms * 1.01)
    return result


def test_accuracy_and_speed_follow_the_numbers(make_registry):
    table = build_table(make_registry(), [], None)
    analysis = analyse_pair(table, "alpha", "beta")
    assert analysis.sections["accuracy"][0].winner == "beta"
    assert "Beta is more accurate in 3 of 3" in analysis.sections["accuracy"][0].text
    assert "At the small tier, BETA-S (43.0 AP) is 3.0 AP more accurate than ALPHA-S (40.0 AP)." in _texts(
        analysis.sections["accuracy"])
    speed = analysis.sections["speed"][0]
    assert speed.winner == "alpha" and "on NVIDIA T4" in speed.text


def test_swapping_the_numbers_flips_the_sentences(make_registry, tmp_path):
    docs = two_family_docs()
    swapped = copy.deepcopy(docs)
    swapped[0]["variants"], swapped[1]["variants"] = docs[1]["variants"], docs[0]["variants"]
    for fam, prefix in ((swapped[0], "alpha"), (swapped[1], "beta")):
        for v in fam["variants"]:
            v["id"] = prefix + v["id"][v["id"].index("-"):]
            v["name"] = v["id"].upper()
    table = build_table(make_registry(swapped), [], None)
    analysis = analyse_pair(table, "alpha", "beta")
    assert analysis.sections["accuracy"][0].winner == "alpha"
    assert "Alpha is more accurate in 3 of 3" in analysis.sections["accuracy"][0].text
    assert analysis.sections["speed"][0].winner == "beta"


def test_measured_latency_is_used_when_every_row_has_it(make_registry):
    results = [_timed(v, "latency-cpu", "latency_cpu_ms", ms, "network") for v, ms in
               [("alpha-s", 50), ("alpha-m", 60), ("alpha-l", 70), ("beta-s", 10), ("beta-m", 20), ("beta-l", 30)]]
    table = build_table(make_registry(), results, MACHINE)
    speed = analyse_pair(table, "alpha", "beta").sections["speed"]
    measured = [f for f in speed if "measured by benchgen on Test CPU" in f.text]
    assert measured and measured[0].winner == "beta"
    # the reported T4 basis is still analysed, separately, and still favours alpha
    assert any(f.winner == "alpha" and "on NVIDIA T4" in f.text for f in speed)


def test_mixed_origins_are_not_compared(make_registry):
    results = [make_result("alpha-s", "latency-cpu", {"latency_cpu_ms": 5.0})]
    table = build_table(make_registry(), results, MACHINE)
    speed = analyse_pair(table, "alpha", "beta").sections["speed"]
    assert not any("CPU ONNX" in f.text for f in speed)


def test_pareto_front(make_registry):
    table = build_table(make_registry(), [], None)
    front = [r.variant.id for r in pareto_front(table, "latency_trt_ms")]
    # alpha-m (45 AP, 3 ms) dominates beta-s (43 AP, 4 ms); alpha-l (48 AP, 5 ms) dominates beta-m (47, 6)
    assert front == ["alpha-s", "alpha-m", "alpha-l", "beta-l"]


def test_interpolate_never_extrapolates():
    points = [(40.0, 2.0), (50.0, 4.0)]
    assert interpolate(points, 45.0) == 3.0
    assert interpolate(points, 39.0) is None and interpolate(points, 51.0) is None


def test_torch_cuda_latency_is_its_own_measured_basis(make_registry):
    gpu = MACHINE.model_copy(update={"id": "gpu-h100", "label": "NVIDIA H100", "gpu": "NVIDIA H100"})
    results = [_timed(v, "latency-torch-cuda", "latency_torch_cuda_ms", ms, "compute", machine=gpu) for v, ms in
               [("alpha-s", 5), ("alpha-m", 6), ("alpha-l", 7), ("beta-s", 1), ("beta-m", 2), ("beta-l", 3)]]
    speed = analyse_pair(build_table(make_registry(), results, gpu), "alpha", "beta").sections["speed"]
    measured = [f for f in speed if "PyTorch CUDA FP16 latency measured by benchgen on NVIDIA H100" in f.text]
    assert measured and measured[0].winner == "beta"
    assert any(f.winner == "alpha" and "reported TensorRT FP16 latency on NVIDIA T4" in f.text for f in speed)
