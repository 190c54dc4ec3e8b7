"""Parameters and FLOPs counted from ONNX graphs whose answers are worked out by hand."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from benchgen.measure.graph.size import count_params, count_size, measure_size
from benchgen.registry import load_registry
from tests.measure.builders import YOLOX_NANO, require_shared


def tensor(name, shape, dtype=np.float32):
    return numpy_helper.from_array(np.zeros(shape, dtype=dtype), name)


def make_model(nodes, inputs, outputs, initializers):
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def conv_gemm_model():
    """Conv 3->8 (3x3, stride 2, pad 1) on 1x3x32x32, grouped conv, Gemm, broadcast MatMul, ConvTranspose."""
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("Conv", ["c1", "w2"], ["c2"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], group=4),
        helper.make_node("ConvTranspose", ["c2", "w3"], ["c3"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("ReduceMean", ["c3"], ["pooled"], axes=[2, 3], keepdims=0),
        helper.make_node("Gemm", ["pooled", "w4", "b4"], ["fc"], transB=1),
        helper.make_node("Reshape", ["fc", "shape"], ["tokens"]),
        helper.make_node("MatMul", ["tokens", "w5"], ["y"]),
        helper.make_node("Mul", ["y", "half"], ["out"]),
    ]
    initializers = [
        tensor("w1", (8, 3, 3, 3)), tensor("b1", (8,)),
        tensor("w2", (8, 2, 3, 3)),
        tensor("w3", (8, 4, 2, 2)),
        tensor("w4", (12, 4)), tensor("b4", (12,)),
        numpy_helper.from_array(np.array([1, 3, 4], dtype=np.int64), "shape"),
        tensor("w5", (2, 4, 5)),
        tensor("half", ()),
    ]
    return make_model(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 32, 32])],
                      [helper.make_tensor_value_info("out", TensorProto.FLOAT, None)], initializers)


# MACs by hand:
#   conv1: output 8x16x16, each 3*3*3 MACs            -> 2048 * 27  = 55,296
#   conv2: output 8x16x16, groups 4: 2 in-ch * 9      -> 2048 * 18  = 36,864
#   convT: input 8x16x16, each scatters 4 out * 2*2   -> 2048 * 16  = 32,768
#   gemm:  (1x4) x (4x12)                             -> 48
#   matmul: (1,3,4) x (2,4,5) broadcast to 2 batches  -> 2 * 3*4*5 = 120
HAND_MACS = 55_296 + 36_864 + 32_768 + 48 + 120
#   params: 216+8 + 144 + 128 + 48+12 + 40 (ints and the scalar excluded)
HAND_PARAMS = 216 + 8 + 144 + 128 + 48 + 12 + 40


def test_flops_are_twice_the_hand_counted_macs():
    count = count_size(conv_gemm_model(), input_size=32)
    assert count.macs == HAND_MACS and count.flops == 2 * HAND_MACS
    assert count.macs_by_op == {"Conv": 55_296 + 36_864, "ConvTranspose": 32_768, "Gemm": 48, "MatMul": 120}
    assert count.nodes_counted == 5 and count.shapes_from_execution == 0


def test_symbolic_batch_and_image_dims_count_at_batch_one_and_the_input_size():
    model = conv_gemm_model()
    dims = model.graph.input[0].type.tensor_type.shape.dim
    dims[0].dim_param, dims[2].dim_param, dims[3].dim_param = "N", "H", "W"
    count = count_size(model, input_size=32)
    assert count.macs == HAND_MACS and count.shapes_from_execution == 0


def test_params_are_float_tensors_counted_once():
    model = conv_gemm_model()
    assert count_params(model) == HAND_PARAMS
    constant = helper.make_node("Constant", [], ["k"], value=numpy_helper.from_array(np.ones((3, 3), np.float32)))
    model.graph.node.insert(0, constant)
    model.graph.initializer.append(tensor("w1", (8, 3, 3, 3)))  # a duplicate name is the same tensor
    assert count_params(model) == HAND_PARAMS + 9


def test_shapes_left_open_by_inference_are_read_from_one_run():
    """NonZero's output size is only known by running it: (2 dims, 3 non-zeros) -> MatMul (3x2)(2x6)."""
    nodes = [
        helper.make_node("NonZero", ["mask"], ["nz"]),
        helper.make_node("Transpose", ["nz"], ["nzt"]),
        helper.make_node("Cast", ["nzt"], ["points"], to=TensorProto.FLOAT),
        helper.make_node("MatMul", ["points", "w"], ["y"]),
        helper.make_node("Identity", ["x"], ["x_out"]),
    ]
    initializers = [numpy_helper.from_array(np.array([[1, 0, 1, 1]], dtype=np.int64), "mask"), tensor("w", (2, 6))]
    model = make_model(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                       [helper.make_tensor_value_info("y", TensorProto.FLOAT, None),
                        helper.make_tensor_value_info("x_out", TensorProto.FLOAT, None)], initializers)
    count = count_size(model, input_size=8)
    assert count.macs == 3 * 2 * 6 and count.shapes_from_execution == 1


def test_size_result_of_a_registry_variant(tiny_model):
    result = measure_size(tiny_model.variant_id, registry=load_registry(tiny_model.registry_dir))
    rows = (32 // 8) ** 2 + (32 // 16) ** 2 + 1
    assert result.details["params"] == 3 * rows * 85  # the MatMul weight; the int64 reshape target is not a param
    assert result.details["macs"] == 3 * rows * 85
    assert result.metrics == {"params_m": 3 * rows * 85 / 1e6, "flops_g": 2 * 3 * rows * 85 / 1e9}
    assert result.kind == "size" and "method" in result.settings


def test_yolox_nano_is_close_to_its_published_size():
    """Published 0.91 M / 1.08 G were counted by thop on the PyTorch model, BatchNorm unfused."""
    require_shared(YOLOX_NANO)
    count = count_size(onnx.load(str(YOLOX_NANO)), input_size=416)
    assert count.params == 904_464
    assert count.flops == 1_045_106_816
    assert count.params / 1e6 == pytest.approx(0.91, rel=0.02) and count.flops / 1e9 == pytest.approx(1.08, rel=0.04)
