"""YOLOv5 / YOLOv7 anchor-based exports: one output (1, N, 5 + C), anchors decoded inside the graph.

Reproduces the ultralytics/yolov5 evaluation of an exported file (`val.py --img 640 --conf 0.001
--iou 0.65`, the command under the README's checkpoint table; YOLOv7's `test.py` is the same code):
- pre-processing of val.py for a non-PyTorch backend (rect off): RGB, pixels / 255, the image
  resized to fit (int() sizes, linear interpolation; COCO images are never larger than 640 px, so
  the INTER_AREA branch YOLOv5 takes when shrinking is not reached at 640) and centred on a square
  canvas of 114 (`letterbox(auto=False)`: the odd pixel goes right/bottom);
- every row is cx, cy, w, h in input pixels, objectness, then C class scores, all already through
  the sigmoid (Detect's inference branch ran in the graph);
- `non_max_suppression(conf_thres=0.001, iou_thres=0.65, multi_label=True, max_det=300)`: rows whose
  objectness exceeds the threshold, score = objectness x class score, every (row, class) pair above
  the threshold is a candidate, the 30000 best go to class-aware NMS, the best 300 are kept;
- boxes scaled back as `scale_coords` does, then clipped to the image. Upstream subtracts the
  letterbox padding as the float (640 - new side) / 2 although the image sits at round(d - 0.1): on an
  image with odd padding (640 x 427: 106.5 px) every box moves half a pixel. That costs YOLOv5n about
  0.25 AP on tiny80 and is part of how the published figures were computed, so it is reproduced
  (option `upstream_scale`, on by default with the default convention; off, or with a registry
  `preprocess` override, boxes are undone with the padding actually applied).

How `decoder: auto` tells this format from YOLOX's, which has the same (1, N, 5 + C) layout: by the
row count the graph fixes. YOLOv5/YOLOv7 heads predict 3 anchors per grid cell, YOLOX one box per
cell, so at the same input size a YOLOv5 output has exactly 3x the rows of a YOLOX one (25200 vs
8400 at 640, 10647 vs 3549 at 416); P6 models (strides up to 64) count their fourth level too. The
counts never coincide, so no metadata or output values are needed. A file whose row count is
dynamic is recognised by neither: the registry then names `decoder: yolov5` (or `yolox`).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from benchgen.decoders.base import (INPUT_PIXELS, ORIGINAL_PIXELS, cxcywh_to_xyxy, Decoded, DecoderPipeline,
                                    standard_pipeline)
from benchgen.decoders.grids import anchor_points
from benchgen.decoders.onnx_info import OnnxInfo
from benchgen.decoders.preprocess import Convention
from benchgen.decoders.spec import BuildContext, DecoderSpec
from benchgen.pipeline import ImageMeta
from benchgen.postprocess.nms import batched_nms

#: val.py's non_max_suppression as the README's reproduce command runs it (max_nms 30000 in general.py)
OPTIONS = {"score_threshold": 0.001, "nms_iou": 0.65, "max_detections": 300, "max_candidates": 30000, "clip": True,
           "upstream_scale": True}
#: LoadImagesAndLabels(rect=False) + letterbox(auto=False, scaleup=False): int() resize, centred, 114
YOLOV5 = Convention(resize="letterbox", pad="center", pad_value=114, channels="rgb", pixel_range="0-1", truncate=True)
#: anchors per grid cell of every official YOLOv5 and YOLOv7 model (models/*.yaml: 3 pairs per level)
ANCHORS_PER_CELL = 3
#: P5 heads (strides 8-32) and P6 heads (8-64)
STRIDE_SETS = ((8, 16, 32), (8, 16, 32, 64))


def anchor_rows(input_size: int) -> dict[int, tuple[int, ...]]:
    """Row count -> strides, for the heads this format covers at `input_size`."""
    return {ANCHORS_PER_CELL * anchor_points(input_size, strides): strides for strides in STRIDE_SETS}


def check(info: OnnxInfo, input_size: int) -> str | None:
    if len(info.outputs) != 1 or info.outputs[0].rank != 3:
        return "expects one output of shape (1, anchors, 5 + classes)"
    _, rows, width = info.outputs[0].shape
    if isinstance(width, int) and width < 6:
        return f"expects 4 box values, objectness and at least 1 class score per row, the output rows have {width}"
    if isinstance(rows, int) and isinstance(width, int) and width > rows:
        return f"expects (1, anchors, 5 + classes) with the rows first; {rows} x {width} looks transposed"
    return None


def recognise(info: OnnxInfo, input_size: int) -> bool:
    if check(info, input_size) is not None:
        return False
    rows = info.outputs[0].shape[1]
    return isinstance(rows, int) and rows in anchor_rows(input_size)


def upstream_scale_coords(boxes: np.ndarray, meta: ImageMeta, input_size: tuple[int, int]) -> np.ndarray:
    """Input-pixel boxes -> original pixels as val.py's scale_coords(ratio_pad=shapes[1:]) does: gain =
    resized height / original height, padding = (input side - resized side) / 2 unrounded."""
    new_w, new_h = int(meta.orig_width * meta.scale_x), int(meta.orig_height * meta.scale_y)  # the int() resize
    gain = new_h / meta.orig_height
    out = boxes.copy()
    out[:, 0::2] = (out[:, 0::2] - (input_size[1] - new_w) / 2) / gain
    out[:, 1::2] = (out[:, 1::2] - (input_size[0] - new_h) / 2) / gain
    return out


def make_decode(options: dict, input_size: tuple[int, int], upstream_scale: bool):
    conf = float(options["score_threshold"])

    def decode(outputs: Sequence[np.ndarray], meta: ImageMeta) -> Decoded:
        raw = np.asarray(outputs[0], dtype=np.float32).reshape(-1, np.shape(outputs[0])[-1])
        raw = raw[raw[:, 4] > conf]  # objectness first, as non_max_suppression's `xc`
        scores_all = raw[:, 5:] * raw[:, 4:5]
        row_idx, cls_idx = np.nonzero(scores_all > conf)  # multi_label: every class above the threshold
        scores = scores_all[row_idx, cls_idx]
        top = np.argsort(-scores, kind="stable")[:int(options["max_candidates"])]
        row_idx, cls_idx, scores = row_idx[top], cls_idx[top], scores[top]
        boxes = cxcywh_to_xyxy(raw[row_idx, :4])
        keep = batched_nms(boxes, scores, cls_idx, float(options["nms_iou"]), max_keep=int(options["max_detections"]))
        if upstream_scale:
            return Decoded(upstream_scale_coords(boxes[keep], meta, input_size), scores[keep], cls_idx[keep],
                           ORIGINAL_PIXELS)
        return Decoded(boxes[keep], scores[keep], cls_idx[keep], INPUT_PIXELS)
    return decode


def build(ctx: BuildContext) -> DecoderPipeline:
    options = ctx.options
    upstream_scale = bool(options["upstream_scale"]) and ctx.convention == YOLOV5
    settings = {"decoder": "yolov5", "score_threshold": options["score_threshold"], "nms_iou": options["nms_iou"],
                "nms": "class-aware, multi-label", "max_detections": options["max_detections"]}
    if upstream_scale:
        settings["scale_back"] = "val.py scale_coords (unrounded padding)"
    return standard_pipeline(ctx, make_decode(options, (ctx.input_size, ctx.input_size), upstream_scale), settings)


DECODER = DecoderSpec("yolov5", "YOLOv5/YOLOv7 anchor head (1, N, 5+C), anchors decoded in the graph: cx,cy,w,h px, "
                      "objectness x class, NMS after; RGB 0-1, centred letterbox", YOLOV5, build, OPTIONS, check,
                      recognise)
