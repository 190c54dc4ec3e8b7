"""RT-DETRv2 S / r34vd / M / L / X: checkpoint-compatible inference model, deploy fusion, ONNX export
with the official post-processor inside, and the official evaluation pipeline.

Architecture hyper-parameters live in variants.yaml (package data); see benchgen.models for the
interface every implementation exposes.
"""

from benchgen.models.family import CheckpointSignature, ImplementationFamily, lazy_interface

FAMILY = ImplementationFamily(
    name="rtdetrv2",
    checkpoint=CheckpointSignature("RT-DETRv2", key_prefixes=("backbone", "encoder", "decoder")),
    deploy="benchgen.models.rtdetrv2.export:deploy_inputs",
)

INTERFACE = {
    ".checkpoint": ("load_checkpoint",), ".export": ("export_onnx",), ".fuse": ("to_deploy",),
    ".model": ("RTDETR", "VARIANTS", "build_model"),
    ".pipeline": ("RTDETRv2Pipeline", "make_pipeline"),
}
__getattr__, __dir__ = lazy_interface(__name__, INTERFACE)
