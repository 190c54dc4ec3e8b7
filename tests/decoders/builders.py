"""Tiny ONNX graphs that emit fixed numbers in one export format, and five-line registries for them.

Each graph ignores its image (adds 0 x its mean, so the input is used) and returns constants: one
image's ground truth, placed by hand the way that format's preprocessing would place it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import yaml
from onnx import TensorProto, helper, numpy_helper

from benchgen.pipeline import COCO_CATEGORY_IDS


def constant_onnx(path: Path, outputs: dict[str, np.ndarray], input_size: int, metadata: dict | None = None,
                  sizes_input: str | None = None, scale_by_sizes: str | None = None, half: bool = False) -> Path:
    """Outputs are constants (+ 0 * mean(image)); `scale_by_sizes` names an output multiplied by
    [w, h, w, h] from the (1, 2) int64 `sizes_input`, the way RT-DETRv2's postprocessor does."""
    nodes = [helper.make_node("Cast", ["images"], ["images_f"], to=TensorProto.FLOAT),
             helper.make_node("ReduceMean", ["images_f"], ["mean"], keepdims=0),
             helper.make_node("Mul", ["mean", "zero"], ["nothing"])]
    inits = [numpy_helper.from_array(np.zeros((), np.float32), "zero")]
    graph_outputs = []
    for name, value in outputs.items():
        inits.append(numpy_helper.from_array(value, f"{name}_value"))
        if np.issubdtype(value.dtype, np.floating):
            source = f"{name}_value"
            if name == scale_by_sizes:
                nodes += [helper.make_node("Cast", [sizes_input], ["sizes_f"], to=TensorProto.FLOAT),
                          helper.make_node("Concat", ["sizes_f", "sizes_f"], ["whwh"], axis=1),
                          helper.make_node("Unsqueeze", ["whwh", "one_axis"], ["whwh3"]),
                          helper.make_node("Mul", [source, "whwh3"], [f"{name}_scaled"])]
                inits.append(numpy_helper.from_array(np.array([1], np.int64), "one_axis"))
                source = f"{name}_scaled"
            nodes.append(helper.make_node("Add", [source, "nothing"], [name]))
        else:
            nodes.append(helper.make_node("Identity", [f"{name}_value"], [name]))
        elem = TensorProto.FLOAT if np.issubdtype(value.dtype, np.floating) else TensorProto.INT64
        graph_outputs.append(helper.make_tensor_value_info(name, elem, list(value.shape)))
    image_type = TensorProto.FLOAT16 if half else TensorProto.FLOAT
    inputs = [helper.make_tensor_value_info("images", image_type, [1, 3, input_size, input_size])]
    if sizes_input:
        inputs.append(helper.make_tensor_value_info(sizes_input, TensorProto.INT64, [1, 2]))
    graph = helper.make_graph(nodes, "oracle", inputs, graph_outputs, initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    for key, value in (metadata or {}).items():
        model.metadata_props.add(key=key, value=str(value))
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def five_line_registry(directory: Path, onnx_path: Path, input_size: int, family_id: str = "mine",
                       **variant_extra) -> Path:
    """The minimal private family: id, name, variants with id, name, input_size, onnx (+ overrides)."""
    directory.mkdir(parents=True, exist_ok=True)
    doc = {"id": family_id, "name": "Mine", "variants": [
        {"id": f"{family_id}-a", "name": "Mine A", "input_size": input_size, "onnx": str(onnx_path), **variant_extra}]}
    (directory / f"{family_id}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return directory


def class_index(category_id: int) -> int:
    return COCO_CATEGORY_IDS.index(category_id)
