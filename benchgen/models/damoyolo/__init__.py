"""DAMO-YOLO T/S/M/L: checkpoint-compatible inference model, deploy fusion, ONNX export, pipeline.

Architecture hyper-parameters live in variants.yaml (package data); see benchgen.models for the
interface every implementation exposes.
"""

from benchgen.models.family import CheckpointSignature, ImplementationFamily, lazy_interface

FAMILY = ImplementationFamily(
    name="damo-yolo",
    checkpoint=CheckpointSignature("DAMO-YOLO", key_prefixes=("backbone", "neck", "head")),
    deploy="benchgen.models.damoyolo.export:deploy_inputs",
)

INTERFACE = {
    ".checkpoint": ("load_checkpoint",), ".export": ("export_onnx",), ".fuse": ("to_deploy",),
    ".model": ("VARIANTS", "DamoYolo", "build_model"),
    ".pipeline": ("DamoYoloPipeline", "make_pipeline"),
}
__getattr__, __dir__ = lazy_interface(__name__, INTERFACE)
