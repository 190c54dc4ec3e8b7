"""DAMO-YOLO T/S/M/L: checkpoint-compatible inference model and deploy fusion.

Architecture hyper-parameters live in variants.yaml (package data); see benchgen.models for the
interface every implementation exposes.
"""

from .fuse import to_deploy
from .model import VARIANTS, DamoYolo, build_model

__all__ = [
    "VARIANTS",
    "DamoYolo",
    "build_model",
    "to_deploy",
]
