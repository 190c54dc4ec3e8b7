"""Exports that list their initializers as graph inputs are loaded without them, in memory.

ONNX Runtime treats such initializers as inputs a caller may override, so it neither folds nor
fuses them (on this project's VM the shared NanoDet-m ran at about 55 ms as given and 38 ms with
the inputs removed, the same outputs to 1e-5) and warns once per initializer. The file itself is
never changed.
"""

from __future__ import annotations

import hashlib

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from benchgen.measure.backends.runners import OrtRunner, session_source


def conv_model(path, initializers_as_inputs: bool):
    weight = numpy_helper.from_array(np.random.default_rng(0).standard_normal((4, 3, 3, 3)).astype(np.float32), "w")
    nodes = [helper.make_node("Conv", ["x", "w"], ["y"], pads=[1, 1, 1, 1])]
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])]
    if initializers_as_inputs:
        inputs.append(helper.make_tensor_value_info("w", TensorProto.FLOAT, [4, 3, 3, 3]))
    graph = helper.make_graph(nodes, "g", inputs, [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              initializer=[weight])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)])
    model.ir_version = 6
    onnx.save(model, str(path))
    return path


def test_initializer_inputs_are_removed_in_memory_and_the_file_is_untouched(tmp_path):
    path = conv_model(tmp_path / "old.onnx", initializers_as_inputs=True)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    source = session_source(path)
    assert isinstance(source, bytes)
    assert [i.name for i in onnx.load_from_string(source).graph.input] == ["x"]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    runner = OrtRunner(path)
    assert runner.session.get_overridable_initializers() == []
    x = np.random.default_rng(1).standard_normal((1, 3, 8, 8)).astype(np.float32)
    plain = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert np.allclose(runner.run({"x": x})[0], plain.run(None, {"x": x})[0], atol=1e-6)
    assert len(plain.get_overridable_initializers()) == 1  # what ONNX Runtime would have done with the file


def test_a_clean_export_is_loaded_from_its_path(tmp_path):
    path = conv_model(tmp_path / "new.onnx", initializers_as_inputs=False)
    assert session_source(path) == str(path)


def test_the_shared_old_exports_lose_every_initializer_input():
    from tests.conftest import SHARED

    path = SHARED / "models" / "nanodet-m" / "nanodet_m_320.onnx"
    if not path.exists():
        pytest.skip("../shared/models/nanodet-m is not on this machine")
    runner = OrtRunner(path)
    assert runner.input_names == ["input.1"] and runner.session.get_overridable_initializers() == []
