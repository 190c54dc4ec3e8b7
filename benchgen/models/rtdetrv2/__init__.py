"""RT-DETRv2 S / r34vd / M / L / X: checkpoint-compatible inference model, deploy fusion, ONNX export
with the official post-processor inside, and the official evaluation pipeline.

Architecture hyper-parameters live in variants.yaml (package data); see benchgen.models for the
interface every implementation exposes.
"""

from .checkpoint import load_checkpoint
from .export import export_onnx
from .fuse import to_deploy
from .model import RTDETR, VARIANTS, build_model
from .pipeline import RTDETRv2Pipeline, make_pipeline

__all__ = [
    "RTDETR",
    "RTDETRv2Pipeline",
    "VARIANTS",
    "build_model",
    "export_onnx",
    "load_checkpoint",
    "make_pipeline",
    "to_deploy",
]
