"""RT-DETRv2 S / r34vd / M / L / X: checkpoint-compatible inference model and deploy fusion.

Architecture hyper-parameters live in variants.yaml (package data); see benchgen.models for the
interface every implementation exposes.
"""

from .checkpoint import load_checkpoint
from .fuse import to_deploy
from .model import RTDETR, VARIANTS, build_model

__all__ = ["RTDETR", "VARIANTS", "build_model", "load_checkpoint", "to_deploy"]
