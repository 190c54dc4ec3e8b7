"""RT-DETRv2 S / r34vd / M / L / X: checkpoint-compatible inference model.

Architecture hyper-parameters live in variants.yaml (package data); see benchgen.models for the
interface every implementation exposes.
"""

from .model import RTDETR, VARIANTS, build_model

__all__ = ["RTDETR", "VARIANTS", "build_model"]
