"""refresh --precision int8 plans the INT8 graph's CPU timings with keys of their own, FP32's unchanged."""

from __future__ import annotations

import re

from benchgen.cli import main
from benchgen.refresh.plan import plan
from benchgen.registry import load_registry
from tests.refresh.conftest import byo_registry, tiny_project  # noqa: F401 - the fixture


def test_int8_jobs_are_the_cpu_timings_with_their_own_keys(tiny_project, tmp_path, capsys):
    _, onnx_path = tiny_project
    registry = load_registry(byo_registry(tmp_path / "reg", onnx_path, variants=1))
    machines = {"ort-cpu": "cpu-test-refresh", "openvino-cpu": "cpu-test-refresh"}
    fp32 = plan(registry, [], machines, backends=list(machines))
    both = plan(registry, [], machines, backends=list(machines), precisions=("fp32", "int8"))
    assert {(j.kind, j.key) for j in fp32} == {(j.kind, j.key) for j in both if j.precision == "fp32"}
    int8 = {j.kind: j for j in both if j.precision == "int8"}
    assert set(int8) == {"latency-cpu", "latency-openvino-cpu"}  # not size: the graph's FLOPs are FP32's
    fp32_keys = {j.kind: j.key for j in fp32}
    assert all(job.key != fp32_keys[kind] for kind, job in int8.items())
    assert int8["latency-cpu"].extra["precision"] == "int8" and int8["latency-cpu"].label.endswith("(ort-cpu int8)")


def test_a_plain_refresh_does_not_time_openvino_unless_named(tiny_project, tmp_path, capsys):
    _, onnx_path = tiny_project
    args = ["refresh", "--no-builtin", "--registry", str(byo_registry(tmp_path / "reg", onnx_path, variants=1)),
            "--results", str(tmp_path / "results"), "--dry-run"]
    assert main(args) == 0
    assert "openvino" not in capsys.readouterr().out
    assert main([*args, "--backend", "openvino-cpu", "--precision", "int8"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"run\s+tiny-0 latency-openvino-cpu \(openvino-cpu int8\)", out)


def test_both_backends_and_precisions_of_a_variant_share_one_set_of_rounds(tiny_project, tmp_path, monkeypatch):
    import cv2
    import numpy as np
    import pytest

    from benchgen.results.store import load_results

    pytest.importorskip("openvino")
    pytest.importorskip("nncf")
    calibration = tmp_path / "mini" / "train2017"
    calibration.mkdir(parents=True)
    for i in range(2):
        cv2.imwrite(str(calibration / f"{i}.jpg"), np.random.default_rng(i).integers(0, 256, (40, 40, 3), np.uint8))
    monkeypatch.setenv("BENCHGEN_CALIBRATION_DIR", str(calibration))
    _, onnx_path = tiny_project
    results = tmp_path / "results"
    args = ["refresh", "--no-builtin", "--registry", str(byo_registry(tmp_path / "reg", onnx_path, variants=2)),
            "--results", str(results), "--no-render", "--kind", "latency-cpu", "--kind", "latency-openvino-cpu",
            "--backend", "ort-cpu", "--backend", "openvino-cpu", "--precision", "fp32", "--precision", "int8",
            "--latency-budget", "0.4", "--allow-busy"]
    assert main(args) == 0
    timed = load_results(results)
    ids = {"tiny-0", "tiny-0[int8]", "tiny-0[openvino-cpu fp32]", "tiny-0[openvino-cpu int8]",
           "tiny-1", "tiny-1[int8]", "tiny-1[openvino-cpu fp32]", "tiny-1[openvino-cpu int8]"}
    assert len(timed) == 8
    for result in timed:  # each met the other seven in the same rounds: their ratios are like-for-like
        shared = set(result.details["rounds"]["shared_with"])
        assert len(shared) == 7 and shared < ids
