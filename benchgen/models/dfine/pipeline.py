"""D-FINE / DEIM pre- and post-processing: those of RT-DETRv2's official evaluation.

Both repositories evaluate COCO with RT-DETR's val transforms (configs/dfine/include/dataloader.yml
and DEIM's configs/base/dataloader.yml: Resize([640, 640]), ConvertPILImage(float32, scale=True)),
its post-processor (the top 300 query x class sigmoid scores, boxes scaled by orig_target_sizes [w, h])
and remap_mscoco_category, so benchgen.models.rtdetrv2.pipeline applies unchanged.
"""

from __future__ import annotations

from benchgen.models.rtdetrv2.pipeline import RTDETRv2Pipeline

from .config import variant_config


def make_pipeline(variant: str) -> RTDETRv2Pipeline:
    return RTDETRv2Pipeline(input_size=variant_config(variant).eval_spatial_size)
