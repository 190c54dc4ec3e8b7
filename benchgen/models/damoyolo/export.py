"""ONNX export of the deploy (RepConv-fused) model, decode included, NMS excluded.

The graph takes the image batch exactly as the official evaluation feeds the network (float32 NCHW,
RGB, 0-255, letterboxed to 640x640) and returns per-class scores after sigmoid and x1,y1,x2,y2 boxes
in input pixels, so measured latency is the architecture's and NMS stays in NumPy for every runtime.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import onnx
import torch

from benchgen.atomic_files import reserve_temp_path

from .checkpoint import load_checkpoint
from .fuse import to_deploy
from .model import DamoYolo, build_model
from benchgen.models.deterministic_weights import fill_deterministic

INPUT_SIZE = (640, 640)  # (height, width), the official test size
OPSET = 17
INPUT_NAME = "images"
OUTPUT_NAMES = ("scores", "boxes")


def _export_to(model: torch.nn.Module, path: Path, dynamic_batch: bool) -> None:
    dummy = torch.zeros(1, 3, *INPUT_SIZE)
    dynamic_axes = {name: {0: "batch"} for name in (INPUT_NAME, *OUTPUT_NAMES)} if dynamic_batch else None
    with warnings.catch_warnings():
        # The head turns feature sizes into Python ints on purpose (constant shapes for a fixed input
        # size); the legacy exporter's deprecation notice is not actionable here either.
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            model, (dummy,), str(path), dynamo=False, opset_version=OPSET, do_constant_folding=True,
            input_names=[INPUT_NAME], output_names=list(OUTPUT_NAMES), dynamic_axes=dynamic_axes,
        )


def _name_output_dims(path: Path, model: DamoYolo) -> onnx.ModelProto:
    """Give the outputs' anchor/class dims their static sizes (the tracer leaves them symbolic)."""
    proto = onnx.load(str(path))
    head = model.config.head
    anchors = sum((INPUT_SIZE[0] // s) * (INPUT_SIZE[1] // s) for s in head.strides)
    shapes = [(None, anchors, head.num_classes), (None, anchors, 4)]
    for output, shape in zip(proto.graph.output, shapes):
        for dim, size in zip(list(output.type.tensor_type.shape.dim)[1:], shape[1:]):
            dim.Clear()
            dim.dim_value = size
    return proto


def deploy_inputs(variant: str, weights: Path | None, seed: int, size: int) -> tuple[torch.nn.Module, tuple]:
    """The deploy model and a fixed-seed image of `size` (CPU, FP32), for timing it in PyTorch."""
    model = build_model(variant)
    if weights is not None:
        load_checkpoint(model, weights)
    else:
        fill_deterministic(model, seed)
    generator = torch.Generator().manual_seed(seed)
    image = torch.rand(1, 3, size, size, generator=generator) * 255.0  # RGB 0-255, as the export's input
    return to_deploy(model).eval(), (image,)


def export_onnx(variant: str, output: str | os.PathLike, weights: str | os.PathLike | None = None,
                seed: int = 0, *, dynamic_batch: bool = False) -> None:
    """Write the deploy model of `variant` to `output` (atomically: no partial file on failure).

    Without `weights`, deterministic stand-in weights (seeded by `seed`) are used, which is enough for
    latency measurement and for checking the export itself.
    """
    output = Path(output)
    model = build_model(variant)
    if weights is not None:
        load_checkpoint(model, weights)
    else:
        fill_deterministic(model, seed)
    deployed = to_deploy(model)

    tmp = reserve_temp_path(output)
    try:
        _export_to(deployed, tmp, dynamic_batch)
        proto = _name_output_dims(tmp, deployed)
        onnx.checker.check_model(proto, full_check=True)
        onnx.save(proto, str(tmp))
        os.replace(tmp, output)
    finally:
        tmp.unlink(missing_ok=True)
