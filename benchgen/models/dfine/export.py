"""ONNX export of the deploy model with the official post-processor inside, NMS-free.

The interface is the official tools/deployment/export_onnx.py's, which is RT-DETRv2's: `images`
(N, 3, 640, 640; RGB, 0..1) and `orig_target_sizes` (N, 2; int64 [w, h]) in, `labels`, `boxes`
(x1, y1, x2, y2 in original pixels) and `scores` (N, 300 each) out. D-FINE's post-processor is
RT-DETR's, so the export shares RT-DETRv2's post-processor and writer.
"""

from __future__ import annotations

import os
from pathlib import Path

import onnx

from benchgen.atomic_files import reserve_temp_path
from benchgen.models.deterministic_weights import fill_deterministic
from benchgen.models.rtdetrv2.export import INPUT_NAMES, OPSET, OUTPUT_NAMES
from benchgen.models.rtdetrv2.export import _export_to as write_onnx
from benchgen.models.rtdetrv2.export import _tidy as tidy_onnx
from benchgen.models.rtdetrv2.postprocessor import DeployModel, PostProcessor

from .checkpoint import load_checkpoint
from .config import variant_config
from .fuse import to_deploy
from .model import build_model

__all__ = ["INPUT_NAMES", "OPSET", "OUTPUT_NAMES", "deploy_model", "export_onnx"]


def deploy_model(variant: str, weights: str | os.PathLike | None = None, seed: int = 0) -> DeployModel:
    """The exported module: fused network + post-processor, in eval mode."""
    model = build_model(variant)
    if weights is not None:
        load_checkpoint(model, weights)
    else:
        fill_deterministic(model, seed)
    cfg = variant_config(variant)
    return DeployModel(to_deploy(model), PostProcessor(cfg.num_classes, cfg.num_top_queries)).eval()


def export_onnx(variant: str, output: str | os.PathLike, weights: str | os.PathLike | None = None,
                seed: int = 0, *, dynamic_batch: bool = True) -> None:
    """Write the deploy model + post-processor of `variant` to `output` (atomically: no partial file on failure).

    Without `weights`, deterministic stand-in weights (seeded by `seed`; seed 0 is the reference
    recipe) are used, which is enough for latency measurement and for checking the export itself.
    """
    output = Path(output)
    cfg = variant_config(variant)
    model = deploy_model(variant, weights, seed)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = reserve_temp_path(output)
    try:
        write_onnx(model, tmp, cfg.eval_spatial_size, dynamic_batch)
        proto = tidy_onnx(onnx.load(str(tmp)), cfg.num_top_queries)
        onnx.checker.check_model(proto, full_check=True)
        onnx.save(proto, str(tmp))
        os.replace(tmp, output)
    finally:
        tmp.unlink(missing_ok=True)
