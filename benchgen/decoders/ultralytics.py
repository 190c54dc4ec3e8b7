"""Ultralytics YOLOv8 / YOLO11 / YOLO12 raw-head exports: one output (1, 4 + C, N).

Reproduces `yolo val` on the exported file (ultralytics DetectionValidator):
- pre-processing: RGB, pixels / 255, letterbox to the square input keeping the aspect ratio, image
  centred with padding 114 split on both sides (LetterBox(auto=False, center=True));
- each of the N anchor points carries cx, cy, w, h in input pixels then C class scores already
  passed through a sigmoid; there is no objectness;
- `non_max_suppression(conf=0.001, iou=0.7, multi_label=True, max_det=300, max_nms=30000)`: every
  (box, class) pair above the threshold (strict) is a candidate, the 30000 best go to class-aware
  NMS, the top 300 are kept;
- boxes are scaled back by the letterbox gain and padding, then clipped to the image (scale_boxes).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from benchgen.decoders.base import INPUT_PIXELS, cxcywh_to_xyxy, Decoded, DecoderPipeline, standard_pipeline
from benchgen.decoders.grids import anchor_points
from benchgen.decoders.onnx_info import OnnxInfo
from benchgen.decoders.preprocess import Convention
from benchgen.decoders.spec import BuildContext, DecoderSpec
from benchgen.pipeline import ImageMeta
from benchgen.postprocess.nms import batched_nms

#: DetectionValidator's defaults (ultralytics/cfg/default.yaml conf 0.001 for val, iou 0.7, max_det 300)
OPTIONS = {"score_threshold": 0.001, "nms_iou": 0.7, "max_detections": 300, "max_candidates": 30000, "clip": True}
ULTRALYTICS = Convention(resize="letterbox", pad="center", pad_value=114, channels="rgb", pixel_range="0-1")


def check(info: OnnxInfo, input_size: int) -> str | None:
    if len(info.outputs) != 1 or info.outputs[0].rank != 3:
        return "expects one output of shape (1, 4 + classes, anchor points)"
    _, channels, points = info.outputs[0].shape
    if isinstance(channels, int) and channels < 5:
        return f"expects at least 4 box values + 1 class score per anchor point, the output has {channels}"
    if isinstance(channels, int) and isinstance(points, int) and channels > points:
        return (f"expects (1, 4 + classes, anchor points) with the anchor points last; {channels} x {points} "
                "looks transposed (a YOLOX or YOLOv5-style export?)")
    return None


def recognise(info: OnnxInfo, input_size: int) -> bool:
    if check(info, input_size) is not None:
        return False
    points = info.outputs[0].shape[2]
    return isinstance(points, int) and points == anchor_points(input_size)


def make_decode(options: dict):
    def decode(outputs: Sequence[np.ndarray], meta: ImageMeta) -> Decoded:
        raw = np.asarray(outputs[0], dtype=np.float32)[0].T  # (N, 4 + C)
        box_idx, cls_idx = np.nonzero(raw[:, 4:] > options["score_threshold"])
        scores = raw[box_idx, 4 + cls_idx]
        top = np.argsort(-scores, kind="stable")[:int(options["max_candidates"])]
        box_idx, cls_idx, scores = box_idx[top], cls_idx[top], scores[top]
        boxes = cxcywh_to_xyxy(raw[box_idx, :4])
        keep = batched_nms(boxes, scores, cls_idx, options["nms_iou"], max_keep=int(options["max_detections"]))
        return Decoded(boxes[keep], scores[keep], cls_idx[keep], INPUT_PIXELS)
    return decode


def build(ctx: BuildContext) -> DecoderPipeline:
    options = ctx.options
    return standard_pipeline(ctx, make_decode(options),
                             {"decoder": "ultralytics", "score_threshold": options["score_threshold"],
                              "nms_iou": options["nms_iou"], "nms": "class-aware, multi-label",
                              "max_detections": options["max_detections"]})


DECODER = DecoderSpec("ultralytics", "Ultralytics YOLOv8/11/12 raw head (1, 4+C, N): cx,cy,w,h px + class scores, "
                      "NMS after", ULTRALYTICS, build, OPTIONS, check, recognise)
