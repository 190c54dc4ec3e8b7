"""ONNX export of the deploy model with the official post-processor inside, NMS-free.

The interface is the official tools/deployment/export_onnx.py's, which is RT-DETRv2's: `images`
(N, 3, 640, 640; RGB, 0..1) and `orig_target_sizes` (N, 2; int64 [w, h]) in, `labels`, `boxes`
(x1, y1, x2, y2 in original pixels) and `scores` (N, 300 each) out. D-FINE's post-processor is
RT-DETR's, so the export is RT-DETRv2's with D-FINE's network.
"""

from __future__ import annotations

from benchgen.models.rtdetrv2.export import INPUT_NAMES, OPSET, OUTPUT_NAMES, DetrExport

from .checkpoint import load_checkpoint
from .config import variant_config
from .fuse import to_deploy
from .model import build_model

__all__ = ["INPUT_NAMES", "OPSET", "OUTPUT_NAMES", "deploy_inputs", "deploy_model", "export_onnx"]

DFINE = DetrExport(build_model, load_checkpoint, to_deploy, variant_config)
deploy_model = DFINE.deploy_model
deploy_inputs = DFINE.deploy_inputs
export_onnx = DFINE.export_onnx
