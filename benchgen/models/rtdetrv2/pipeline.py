"""RT-DETRv2 pre- and post-processing as the official COCO evaluation does them, in NumPy + PIL.

Facts taken from lyuwenyu/RT-DETR, rtdetrv2_pytorch/:
- images are decoded by PIL and converted to RGB (src/data/dataset/coco_dataset.py, via
  torchvision's CocoDetection);
- val transforms are Resize([640, 640]) then ConvertPILImage(float32, scale=True)
  (configs/rtdetrv2/include/dataloader.yml): the aspect ratio is not kept, and torchvision's Resize
  on a PIL image is PIL's own bilinear resize; pixels become float32 / 255, no mean/std
  normalisation (src/data/transforms/_transforms.py);
- `orig_target_sizes` is each image's original [w, h] (ConvertCocoPolysToMask's orig_size), which the
  post-processor multiplies into the normalised boxes, so the outputs are already in original pixels,
  unclipped (src/zoo/rtdetr/rtdetr_postprocessor.py);
- all num_top_queries = 300 (label, box, score) triples go to COCOeval: no score threshold, no NMS;
- class index i is COCO category id mscoco_label2category[i] (remap_mscoco_category: True in
  configs/dataset/coco_detection.yml), the same 80-entry table as benchgen.pipeline.COCO_CATEGORY_IDS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from PIL import Image

from benchgen.pipeline import COCO_CATEGORY_IDS, Detections, ImageMeta

from .config import variant_config
from .export import INPUT_NAMES

_CATEGORY_IDS = np.asarray(COCO_CATEGORY_IDS, dtype=np.int64)


@dataclass
class RTDETRv2Pipeline:
    input_size: tuple[int, int] = (640, 640)  # (height, width)

    def preprocess(self, image_bgr: np.ndarray) -> tuple[dict[str, np.ndarray], ImageMeta]:
        if image_bgr.ndim != 3 or image_bgr.shape[2] != 3 or image_bgr.dtype != np.uint8:
            raise ValueError(f"expected an (H, W, 3) uint8 BGR image, got {image_bgr.shape} {image_bgr.dtype}")
        h, w = image_bgr.shape[:2]
        target_h, target_w = self.input_size
        rgb = Image.fromarray(np.ascontiguousarray(image_bgr[:, :, ::-1]))
        resized = np.asarray(rgb.resize((target_w, target_h), Image.BILINEAR), dtype=np.float32) / np.float32(255)
        images = np.ascontiguousarray(resized.transpose(2, 0, 1)[None])
        sizes = np.array([[w, h]], dtype=np.int64)
        meta = ImageMeta(orig_width=w, orig_height=h, scale_x=target_w / w, scale_y=target_h / h)
        return {INPUT_NAMES[0]: images, INPUT_NAMES[1]: sizes}, meta

    def postprocess(self, outputs: Sequence[np.ndarray], meta: ImageMeta) -> Detections:
        labels, boxes, scores = (np.asarray(o)[0] for o in outputs)  # batch 1
        labels = labels.astype(np.int64)
        if labels.size and (labels.min() < 0 or labels.max() >= len(_CATEGORY_IDS)):
            raise ValueError(f"class index out of range 0..{len(_CATEGORY_IDS) - 1}: {labels.min()}..{labels.max()}")
        return Detections(boxes=boxes, scores=scores, category_ids=_CATEGORY_IDS[labels])


def make_pipeline(variant: str) -> RTDETRv2Pipeline:
    """Every variant uses the official eval size of its config (640 x 640)."""
    return RTDETRv2Pipeline(input_size=variant_config(variant).eval_spatial_size)
