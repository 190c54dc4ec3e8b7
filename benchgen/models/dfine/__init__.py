"""D-FINE N/S/M/L/X and DEIM's D-FINE models: checkpoint-compatible inference model, deploy fusion, ONNX
export with the official post-processor inside, and the official evaluation pipeline.

DEIM trains the D-FINE networks differently; its COCO models are D-FINE architectures with SiLU in the
decoder's MLPs and FFN and (L/X) trainable backbone BatchNorm, so one implementation builds both
families from variants.yaml. See benchgen.models for the interface every implementation exposes.
"""

from benchgen.models.family import CheckpointSignature, ImplementationFamily, lazy_interface

FAMILY = ImplementationFamily(
    name="dfine",  # D-FINE and DEIM's D-FINE models
    # the top-level modules are RT-DETRv2's; `decoder.reg_scale` (the FDR parameter no RT-DETR has) and
    # `decoder.up` tell the families apart
    checkpoint=CheckpointSignature("D-FINE", key_prefixes=("backbone", "encoder", "decoder"),
                                   signature_keys=("decoder.reg_scale", "decoder.up")),
    deploy="benchgen.models.dfine.export:deploy_inputs",
    built_on=("rtdetrv2",),  # its encoder, post-processor, export and pipeline
)

INTERFACE = {
    ".checkpoint": ("load_checkpoint",), ".export": ("export_onnx",), ".fuse": ("to_deploy",),
    ".model": ("DFINE", "VARIANTS", "build_model"), ".pipeline": ("make_pipeline",),
}
__getattr__, __dir__ = lazy_interface(__name__, INTERFACE)
