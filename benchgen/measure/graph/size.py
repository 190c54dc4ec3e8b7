"""Parameters and FLOPs counted from the exported ONNX graph, by one method for every family.

Authors count with different tools (thop, fvcore, mmcv, their own), which disagree on what a FLOP
is; counting from the deployed ONNX file with one rule makes the numbers comparable across
families, including bring-your-own files that benchgen cannot rebuild in PyTorch.

Parameters: the elements of every floating-point tensor stored in the graph — initializers and
Constant nodes, subgraphs included, each tensor counted once — leaving out scalars (epsilons,
scale factors) and integer tensors (shapes, indices). This counts the *deployed* model: where the
export folds BatchNorm into convolutions or re-parameterises branches, the folded weights are what
is counted, so it can be slightly lower than a count of the training model.

FLOPs: 2 x multiply-accumulates of Conv, ConvTranspose, Gemm and MatMul (bias additions,
activations, normalisation, resizing, attention softmax and grid sampling are not counted: they
are a small share in detectors and every counting tool treats them differently), at batch 1 and
the variant's input size. Shapes come from ONNX shape inference; where it cannot resolve an
operand (data-dependent shapes), the model is run once by ONNX Runtime on a zero input and the
actual shapes are read from it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np
import onnx
from onnx import shape_inference

from benchgen.errors import BenchgenError
from benchgen.measure.graph.model_files import ModelFiles, model_files, resolve_model
from benchgen.measure.request import MeasureRequest
from benchgen.registry.schema import Registry
from benchgen.results.provenance import collect_provenance
from benchgen.results.schema import Result

METHOD = ("params: floating-point initializers and Constant tensors (non-scalar), each once; "
          "FLOPs: 2 x MACs of Conv/ConvTranspose/Gemm/MatMul at batch 1")
COUNTED_OPS = ("Conv", "ConvTranspose", "Gemm", "MatMul")
_FLOAT_TYPES = {onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.DOUBLE,
                onnx.TensorProto.BFLOAT16}


def _graphs(graph: onnx.GraphProto) -> Iterator[onnx.GraphProto]:
    yield graph
    for node in graph.node:
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.GRAPH:
                yield from _graphs(attribute.g)
            for sub in attribute.graphs:
                yield from _graphs(sub)


def count_params(model: onnx.ModelProto) -> int:
    seen: set[str] = set()
    total = 0
    for graph in _graphs(model.graph):
        tensors = list(graph.initializer)
        for node in graph.node:
            if node.op_type == "Constant":
                for attribute in node.attribute:
                    if attribute.name == "value" and attribute.type == onnx.AttributeProto.TENSOR:
                        tensors.append(onnx.TensorProto(name=node.output[0], data_type=attribute.t.data_type,
                                                        dims=attribute.t.dims))
        for tensor in tensors:
            if tensor.name in seen or tensor.data_type not in _FLOAT_TYPES:
                continue
            seen.add(tensor.name)
            size = math.prod(tensor.dims)
            if size > 1:
                total += size
    return total


def _static(shape: onnx.TensorShapeProto) -> tuple[int, ...] | None:
    dims = []
    for dim in shape.dim:
        if not dim.HasField("dim_value"):
            return None
        dims.append(dim.dim_value)
    return tuple(dims)


def fix_input_dims(model: onnx.ModelProto, input_size: int) -> onnx.ModelProto:
    """A copy whose symbolic input dims are set: batch 1, and the input size for an image's H and W."""
    fixed = onnx.ModelProto()
    fixed.CopyFrom(model)
    initializers = {t.name for t in fixed.graph.initializer}
    for value in fixed.graph.input:
        if value.name in initializers or not value.type.tensor_type.HasField("shape"):
            continue
        dims = value.type.tensor_type.shape.dim
        for axis, dim in enumerate(dims):
            if dim.HasField("dim_value") and dim.dim_value > 0:
                continue
            if axis == 0:
                dim.dim_value = 1
            elif len(dims) == 4 and axis in (2, 3):
                dim.dim_value = input_size
    return fixed


def inferred_shapes(model: onnx.ModelProto) -> dict[str, tuple[int, ...]]:
    inferred = shape_inference.infer_shapes(model, data_prop=True)
    shapes: dict[str, tuple[int, ...]] = {}
    graph = inferred.graph
    for value in [*graph.input, *graph.value_info, *graph.output]:
        if value.type.HasField("tensor_type") and value.type.tensor_type.HasField("shape"):
            static = _static(value.type.tensor_type.shape)
            if static is not None:
                shapes[value.name] = static
    for tensor in graph.initializer:
        shapes[tensor.name] = tuple(tensor.dims)
    return shapes


def executed_shapes(model: onnx.ModelProto, names: set[str], input_size: int) -> dict[str, tuple[int, ...]]:
    """Shapes read from one ONNX Runtime run on zeros, for what shape inference left open."""
    import onnxruntime as ort

    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    known_outputs = {o.name for o in probe.graph.output}
    for name in sorted(names - known_outputs):
        probe.graph.output.append(onnx.ValueInfoProto(name=name))
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.log_severity_level = 3
    session = ort.InferenceSession(probe.SerializeToString(), options, providers=["CPUExecutionProvider"])
    feeds = {}
    for tensor in session.get_inputs():
        dims = [d if isinstance(d, int) and d > 0 else None for d in tensor.shape]
        dims = [1 if i == 0 and d is None else (input_size if d is None else d) for i, d in enumerate(dims)]
        dtype = np.int64 if "int64" in tensor.type else np.float32
        feeds[tensor.name] = np.zeros(dims, dtype=dtype)
    outputs = session.run(None, feeds)
    return {o.name: tuple(v.shape) for o, v in zip(session.get_outputs(), outputs) if o.name in names}


def _node_macs(node: onnx.NodeProto, shapes: dict[str, tuple[int, ...]]) -> int:
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
    if node.op_type == "Conv":
        weight, out = shapes[node.input[1]], shapes[node.output[0]]
        return math.prod(out) * math.prod(weight[1:])  # each output element: Cin/groups x kernel MACs
    if node.op_type == "ConvTranspose":
        weight, data = shapes[node.input[1]], shapes[node.input[0]]
        return math.prod(data) * math.prod(weight[1:])  # each input element scatters Cout/groups x kernel
    if node.op_type == "Gemm":
        a, b = shapes[node.input[0]], shapes[node.input[1]]
        m, k = (a[1], a[0]) if attrs.get("transA", 0) else (a[0], a[1])
        n = b[0] if attrs.get("transB", 0) else b[1]
        return m * n * k
    a, b = shapes[node.input[0]], shapes[node.input[1]]  # MatMul, numpy broadcasting
    if len(a) == 1:
        a = (1, *a)
    if len(b) == 1:
        b = (*b, 1)
    batch = np.broadcast_shapes(a[:-2], b[:-2])
    return math.prod(batch) * a[-2] * a[-1] * b[-1]


@dataclass
class SizeCount:
    params: int
    macs: int
    macs_by_op: dict[str, int] = field(default_factory=dict)
    nodes_counted: int = 0
    shapes_from_execution: int = 0  # nodes whose shapes shape inference could not resolve

    @property
    def flops(self) -> int:
        return 2 * self.macs


def count_size(model: onnx.ModelProto, input_size: int) -> SizeCount:
    model = fix_input_dims(model, input_size)
    nodes = [n for graph in _graphs(model.graph) for n in graph.node if n.op_type in COUNTED_OPS]
    shapes = inferred_shapes(model)

    def needed(node: onnx.NodeProto) -> list[str]:
        names = [node.input[0], node.input[1]]
        return names + [node.output[0]] if node.op_type == "Conv" else names

    missing = {name for node in nodes for name in needed(node) if name not in shapes}
    if missing:
        shapes.update(executed_shapes(model, missing, input_size))
        unresolved = sorted(missing - set(shapes))
        if unresolved:
            raise BenchgenError(f"cannot count FLOPs: no shape for {', '.join(unresolved[:5])} (inside a subgraph?)")
    by_op: dict[str, int] = {}
    for node in nodes:
        by_op[node.op_type] = by_op.get(node.op_type, 0) + _node_macs(node, shapes)
    fallback = sum(1 for node in nodes if any(name in missing for name in needed(node)))
    return SizeCount(params=count_params(model), macs=sum(by_op.values()), macs_by_op=by_op,
                     nodes_counted=len(nodes), shapes_from_execution=fallback)


def measure_size(variant_id: str, weights: Path | None = None, registry: Registry | None = None,
                 seed: int = 0) -> Result:
    """`benchgen size`: the variant looked up by id, then `size_of`."""
    return size_of(resolve_model(variant_id, weights=weights, seed=seed, registry=registry))


def measure_request(request: MeasureRequest) -> Result:
    """A refresh job (benchgen.metrics: kind size)."""
    return size_of(model_files(request.family, request.variant, request.weights, request.seed))


def size_of(model: ModelFiles) -> Result:
    count = count_size(onnx.load(str(model.onnx_path)), model.variant.input_size)
    return Result(
        variant=model.variant.id,
        kind="size",
        metrics={"params_m": count.params / 1e6, "flops_g": count.flops / 1e9},
        details={"params": count.params, "macs": count.macs, "flops": count.flops, "macs_by_op": count.macs_by_op,
                 "nodes_counted": count.nodes_counted, "shapes_from_execution": count.shapes_from_execution},
        settings={"method": METHOD, "batch": 1, **model.settings()},
        provenance=collect_provenance(),
    )
