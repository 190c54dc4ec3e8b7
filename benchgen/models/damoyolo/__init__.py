"""DAMO-YOLO T/S/M/L: checkpoint-compatible inference model, deploy fusion, ONNX export, pipeline.

Architecture hyper-parameters live in variants.yaml (package data); see benchgen.models for the
interface every implementation exposes.
"""

from .checkpoint import load_checkpoint
from .export import export_onnx
from .fuse import to_deploy
from .model import VARIANTS, DamoYolo, build_model
from .pipeline import DamoYoloPipeline, make_pipeline

__all__ = [
    "VARIANTS",
    "DamoYolo",
    "DamoYoloPipeline",
    "build_model",
    "export_onnx",
    "load_checkpoint",
    "make_pipeline",
    "to_deploy",
]
