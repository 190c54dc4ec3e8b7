"""ONNX export of the deploy model with the official post-processor inside, NMS-free.

Like the official tools/export_onnx.py, the graph takes `images` (N, 3, 640, 640; RGB, 0..1, resized
without keeping the aspect ratio) and `orig_target_sizes` (N, 2; int64 [w, h]) and returns `labels`
(N, 300; class indices 0..79), `boxes` (N, 300, 4; x1, y1, x2, y2 in original-image pixels) and
`scores` (N, 300), so measured latency includes the (cheap) top-k selection, as in the official numbers.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import onnx
import torch

from benchgen.atomic_files import reserve_temp_path

from benchgen.models.deterministic_weights import fill_deterministic

from .checkpoint import load_checkpoint
from .config import variant_config
from .fuse import to_deploy
from .model import build_model
from .postprocessor import DeployModel, PostProcessor

OPSET = 17  # grid_sample needs >= 16
INPUT_NAMES = ("images", "orig_target_sizes")
OUTPUT_NAMES = ("labels", "boxes", "scores")


def _export_to(model: DeployModel, path: Path, input_size: tuple[int, int], dynamic_batch: bool) -> None:
    h, w = input_size
    images = torch.zeros(1, 3, h, w)
    sizes = torch.tensor([[w, h]], dtype=torch.int64)
    dynamic_axes = {name: {0: "N"} for name in (*INPUT_NAMES, *OUTPUT_NAMES)} if dynamic_batch else None
    with warnings.catch_warnings():
        # Feature sizes become Python ints on purpose (constant shapes for the fixed input size); the
        # legacy exporter's deprecation notice is not actionable here either.
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        torch.onnx.export(
            model, (images, sizes), str(path), dynamo=False, opset_version=OPSET, do_constant_folding=True,
            input_names=list(INPUT_NAMES), output_names=list(OUTPUT_NAMES), dynamic_axes=dynamic_axes,
        )


def _tidy(proto: onnx.ModelProto, num_top: int) -> onnx.ModelProto:
    """Drop the Identity nodes the exporter emits for reused weights, and give outputs static dims.

    The tracer leaves the top-k and box dims symbolic although they are fixed by the model.
    """
    graph = proto.graph
    outputs = {o.name for o in graph.output}
    renames = {}
    for node in list(graph.node):
        if node.op_type == "Identity" and node.output[0] not in outputs:
            renames[node.output[0]] = renames.get(node.input[0], node.input[0])
            graph.node.remove(node)
    for node in graph.node:
        for i, name in enumerate(node.input):
            if name in renames:
                node.input[i] = renames[name]
    static = {"labels": (num_top,), "boxes": (num_top, 4), "scores": (num_top,)}
    for output in graph.output:
        for dim, size in zip(list(output.type.tensor_type.shape.dim)[1:], static[output.name]):
            dim.Clear()
            dim.dim_value = size
    return proto


@dataclass(frozen=True)
class DetrExport:
    """The export of a DETR family with RT-DETR's post-processor and interface (RT-DETRv2, D-FINE): only how
    the network is built, loaded, fused and configured differs."""

    build_model: Callable[[str], Any]
    load_checkpoint: Callable[[Any, str | os.PathLike], None]
    to_deploy: Callable[[Any], Any]
    variant_config: Callable[[str], Any]  # with num_classes, num_top_queries and eval_spatial_size

    def deploy_model(self, variant: str, weights: str | os.PathLike | None = None, seed: int = 0) -> DeployModel:
        """The exported module: fused network + post-processor, in eval mode."""
        model = self.build_model(variant)
        if weights is not None:
            self.load_checkpoint(model, weights)
        else:
            fill_deterministic(model, seed)
        cfg = self.variant_config(variant)
        return DeployModel(self.to_deploy(model), PostProcessor(cfg.num_classes, cfg.num_top_queries)).eval()

    def deploy_inputs(self, variant: str, weights: Path | None, seed: int, size: int) -> tuple[DeployModel, tuple]:
        """The deploy module and fixed-seed inputs of `size` (CPU, FP32), for timing it in PyTorch."""
        generator = torch.Generator().manual_seed(seed)
        image = torch.rand(1, 3, size, size, generator=generator)  # RGB 0-1, as the export's input
        sizes = torch.tensor([[640, 480]], dtype=torch.int64)  # original [w, h] the boxes are scaled to
        return self.deploy_model(variant, weights, seed), (image, sizes)

    def export_onnx(self, variant: str, output: str | os.PathLike, weights: str | os.PathLike | None = None,
                    seed: int = 0, *, dynamic_batch: bool = True) -> None:
        """Write the deploy model + post-processor of `variant` to `output` (atomically: no partial file on failure).

        Without `weights`, deterministic stand-in weights (seeded by `seed`; seed 0 is the reference
        recipe) are used, which is enough for latency measurement and for checking the export itself.
        The batch axis N is symbolic by default, as in the official export.
        """
        output = Path(output)
        model = self.deploy_model(variant, weights, seed)
        cfg = self.variant_config(variant)

        output.parent.mkdir(parents=True, exist_ok=True)
        tmp = reserve_temp_path(output)
        try:
            _export_to(model, tmp, cfg.eval_spatial_size, dynamic_batch)
            proto = _tidy(onnx.load(str(tmp)), cfg.num_top_queries)
            onnx.checker.check_model(proto, full_check=True)
            onnx.save(proto, str(tmp))
            os.replace(tmp, output)
        finally:
            tmp.unlink(missing_ok=True)


RTDETRV2 = DetrExport(build_model, load_checkpoint, to_deploy, variant_config)
deploy_model = RTDETRV2.deploy_model
deploy_inputs = RTDETRV2.deploy_inputs
export_onnx = RTDETRV2.export_onnx
