"""A hash of an exported ONNX graph that is the same wherever the same code exported it.

torch's export is byte-reproducible on one machine (two runs, two processes: same sha256), but not
across CPUs: the weights it folds (BatchNorm into convolutions, the fixed-seed fill) are computed by
ATen kernels chosen for the CPU, so an Intel AVX-512 host and an AMD EPYC host write the same nodes
with initializers that differ in the last bits (relative 5e-7). A measurement key on the file's bytes
would then differ between machines for the same model. This hash covers everything in the graph that
code decides (nodes and their attributes, Constant tensors, inputs, outputs, opsets, the name, type
and shape of every initializer, the values of integer and scalar initializers: shapes, indices,
epsilons, scales) and leaves out the values of floating-point weight tensors, which the measurement
key holds as the weights' own identity (the checkpoint's sha256 or the random seed).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import onnx

_FLOAT_TYPES = {onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.DOUBLE,
                onnx.TensorProto.BFLOAT16}


def _weight_placeholder(tensor: onnx.TensorProto) -> onnx.TensorProto:
    """The tensor without its values, when those values are learned weights (floats, more than one)."""
    count = 1
    for dim in tensor.dims:
        count *= dim
    if tensor.data_type not in _FLOAT_TYPES or count <= 1:
        return tensor
    return onnx.TensorProto(name=tensor.name, data_type=tensor.data_type, dims=list(tensor.dims))


def _graph_digest(graph: onnx.GraphProto, digest) -> None:
    for node in graph.node:
        plain = onnx.NodeProto()
        plain.CopyFrom(node)
        del plain.attribute[:]
        digest.update(plain.SerializeToString(deterministic=True))
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.GRAPH:
                digest.update(attribute.name.encode())
                _graph_digest(attribute.g, digest)
            elif attribute.type == onnx.AttributeProto.GRAPHS:
                digest.update(attribute.name.encode())
                for sub in attribute.graphs:
                    _graph_digest(sub, digest)
            else:
                digest.update(attribute.SerializeToString(deterministic=True))
    for tensor in graph.initializer:
        digest.update(_weight_placeholder(tensor).SerializeToString(deterministic=True))
    for value in (*graph.input, *graph.output):
        digest.update(value.SerializeToString(deterministic=True))


def graph_hash(model: onnx.ModelProto | str | Path) -> str:
    """sha256 of the graph's code-decided content (see the module docstring), hex."""
    if not isinstance(model, onnx.ModelProto):
        model = onnx.load(str(model))
    digest = hashlib.sha256()
    for opset in model.opset_import:
        digest.update(opset.SerializeToString(deterministic=True))
    _graph_digest(model.graph, digest)
    return digest.hexdigest()
