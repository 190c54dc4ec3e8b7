"""D-FINE N/S/M/L/X and DEIM's D-FINE models: checkpoint-compatible inference model, deploy fusion, ONNX
export with the official post-processor inside, and the official evaluation pipeline.

DEIM trains the D-FINE networks differently; its COCO models are D-FINE architectures with SiLU in the
decoder's MLPs and FFN and (L/X) trainable backbone BatchNorm, so one implementation builds both
families from variants.yaml. See benchgen.models for the interface every implementation exposes.
"""

from .checkpoint import load_checkpoint
from .export import export_onnx
from .fuse import to_deploy
from .model import DFINE, VARIANTS, build_model
from .pipeline import make_pipeline

__all__ = ["DFINE", "VARIANTS", "build_model", "export_onnx", "load_checkpoint", "make_pipeline", "to_deploy"]
