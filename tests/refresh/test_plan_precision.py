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
