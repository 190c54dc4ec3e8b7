"""The graph hash sees what code decides and not the last bits of the weights a CPU computed."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from benchgen.measure.graph.graph_hash import graph_hash


def _model(weight: np.ndarray, shape=(1, 4), scale: float = 2.0, axis: int = 0) -> onnx.ModelProto:
    nodes = [helper.make_node("MatMul", ["x", "w"], ["y"]),
             helper.make_node("Mul", ["y", "scale"], ["z"]),
             helper.make_node("Reshape", ["z", "shape"], ["r"]),
             helper.make_node("Concat", ["r", "r"], ["out"], axis=axis)]
    inits = [numpy_helper.from_array(weight.astype(np.float32), "w"),
             numpy_helper.from_array(np.array(scale, dtype=np.float32), "scale"),
             numpy_helper.from_array(np.array(shape, dtype=np.int64), "shape")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])],
                              [helper.make_tensor_value_info("out", TensorProto.FLOAT, None)], initializer=inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


WEIGHT = np.random.default_rng(0).standard_normal((3, 4))


def test_weight_values_rounded_otherwise_give_the_same_hash(tmp_path):
    base = graph_hash(_model(WEIGHT))
    nudged = np.nextafter(WEIGHT.astype(np.float32), np.float32(np.inf))  # one ulp, as another CPU's kernels
    assert graph_hash(_model(nudged)) == base
    onnx.save(_model(WEIGHT), str(tmp_path / "m.onnx"))
    assert graph_hash(tmp_path / "m.onnx") == base


def test_what_code_decides_changes_the_hash():
    base = graph_hash(_model(WEIGHT))
    assert graph_hash(_model(WEIGHT, scale=3.0)) != base  # a scalar constant
    assert graph_hash(_model(WEIGHT, shape=(4, 1))) != base  # an integer initializer (a shape)
    assert graph_hash(_model(WEIGHT, axis=1)) != base  # an attribute
    assert graph_hash(_model(np.zeros((3, 5)))) != base  # a weight of another shape
