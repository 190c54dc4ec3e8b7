"""Peak memory of a session, from a fresh process: it sees a model's weights, and a failure says why."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from benchgen.measure.timing import latency_cpu
from benchgen.measure.timing.peak_memory import measure_peak_memory


def _model_with_weights(path, megabytes: int):
    """y = x + W with a W of `megabytes` MiB: a session must hold it, so its peak grows by at least that."""
    side = int(np.sqrt(megabytes * 2**20 / 4))
    weight = np.random.default_rng(0).standard_normal((side, side), dtype=np.float32)
    graph = helper.make_graph([helper.make_node("Add", ["x", "w"], ["y"])], "big",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [side, side])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [side, side])],
                              initializer=[numpy_helper.from_array(weight, "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path.write_bytes(model.SerializeToString())
    return path, side


def test_a_model_with_64_mib_of_weights_peaks_above_64_mib(tmp_path):
    path, side = _model_with_weights(tmp_path / "big.onnx", 64)
    record = measure_peak_memory(path, {"x": np.zeros((side, side), np.float32)}, threads=1, runs=2)
    assert record["peak_mb"] >= 64 and record["baseline_mb"] > 10 and record["runs"] == 2
    assert "fresh process" in record["method"]


def test_a_failing_child_raises_with_its_last_line(tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(RuntimeError, match="memory child exited"):
        measure_peak_memory(bad, {"x": np.zeros((1,), np.float32)})


def test_a_failed_memory_measurement_leaves_the_latency_and_says_why(tiny_model, monkeypatch):
    from benchgen.registry import load_registry

    def broken(*args, **kwargs):
        raise RuntimeError("out of file handles")

    monkeypatch.setattr(latency_cpu.peak_memory, "measure_peak_memory", broken)
    result = latency_cpu.measure_cpu_latency(tiny_model.variant_id, budget_s=0.3, threads=1,
                                             registry=load_registry(tiny_model.registry_dir))
    assert result.status == "ok" and result.memory is None
    assert result.details["memory_skipped"] == "the memory measurement failed: out of file handles"
