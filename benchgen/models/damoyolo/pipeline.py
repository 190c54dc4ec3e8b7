"""DAMO-YOLO pre- and post-processing as the official COCO evaluation does them, in NumPy + cv2.

Facts taken from tinyvision/DAMO-YOLO:
- images are decoded by PIL as RGB (torchvision CocoDetection; damo/dataset/datasets/coco.py);
- resize keeps the aspect ratio: r = min(640 / w, 640 / h), new size (int(w * r), int(h * r)),
  cv2.INTER_LINEAR (damo/dataset/transforms/transforms_keepratio.py, test image_max_range (640, 640)
  in damo/config/augmentations.py);
- no normalisation: mean 0, std 1, so the network sees 0-255 floats (damo/config/augmentations.py);
- zero padding at the bottom and right only (damo/structures/image_list.py, to_image_list);
- boxes go back by a per-axis ratio original / resized size, without clipping (BoxList.resize in
  damo/structures/bounding_box.py, called from coco_eval.py's prepare_for_coco_detection);
- NMS: score > 0.05, IoU 0.7, class-aware (configs' nms_conf_thre / nms_iou_thre; damo/utils/boxes.py).
  The official code keeps up to 500 boxes per image; benchgen keeps 100 by default (COCO's maxDets).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import cv2
import numpy as np

from benchgen.pipeline import COCO_CATEGORY_IDS, Detections, ImageMeta
from benchgen.postprocess.nms import multiclass_nms

from .config import variant_config
from .export import INPUT_NAME, INPUT_SIZE


@dataclass
class DamoYoloPipeline:
    input_size: tuple[int, int] = INPUT_SIZE  # (height, width)
    score_threshold: float = 0.05
    iou_threshold: float = 0.7
    max_detections: int = 100

    def preprocess(self, image_bgr: np.ndarray) -> tuple[dict[str, np.ndarray], ImageMeta]:
        if image_bgr.ndim != 3 or image_bgr.shape[2] != 3 or image_bgr.dtype != np.uint8:
            raise ValueError(f"expected an (H, W, 3) uint8 BGR image, got {image_bgr.shape} {image_bgr.dtype}")
        h, w = image_bgr.shape[:2]
        target_h, target_w = self.input_size
        r = min(target_w / w, target_h / h)
        new_w, new_h = int(w * r), int(h * r)
        rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
        resized = cv2.resize(rgb, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
        batch = np.zeros((1, 3, target_h, target_w), dtype=np.float32)
        batch[0, :, :new_h, :new_w] = resized.transpose(2, 0, 1)
        meta = ImageMeta(orig_width=w, orig_height=h, scale_x=new_w / w, scale_y=new_h / h)
        return {INPUT_NAME: batch}, meta

    def postprocess(self, outputs: Sequence[np.ndarray], meta: ImageMeta) -> Detections:
        scores, boxes = outputs  # (1, A, C) after sigmoid, (1, A, 4) x1,y1,x2,y2 in input pixels
        kept_boxes, kept_scores, classes = multiclass_nms(
            np.asarray(boxes)[0], np.asarray(scores)[0], self.score_threshold, self.iou_threshold,
            self.max_detections)
        scale = np.array([meta.scale_x, meta.scale_y, meta.scale_x, meta.scale_y], dtype=np.float32)
        pad = np.array([meta.pad_x, meta.pad_y, meta.pad_x, meta.pad_y], dtype=np.float32)
        original = (kept_boxes - pad) / scale
        category_ids = np.asarray(COCO_CATEGORY_IDS, dtype=np.int64)[classes]
        return Detections(boxes=original, scores=kept_scores, category_ids=category_ids)


def make_pipeline(variant: str) -> DamoYoloPipeline:
    """Every DAMO-YOLO variant shares the official 640x640 test pipeline; the variant is validated."""
    variant_config(variant)
    return DamoYoloPipeline()
