"""RT-DETRv2 S / r34vd / M / L / X: checkpoint-compatible inference model, deploy fusion, and ONNX
export with the official post-processor inside.

Architecture hyper-parameters live in variants.yaml (package data); see benchgen.models for the
interface every implementation exposes.
"""

from .checkpoint import load_checkpoint
from .export import export_onnx
from .fuse import to_deploy
from .model import RTDETR, VARIANTS, build_model

__all__ = ["RTDETR", "VARIANTS", "build_model", "export_onnx", "load_checkpoint", "to_deploy"]
