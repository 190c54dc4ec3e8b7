"""Ultralytics RT-DETR exports: one output (1, K, 4 + C), boxes cx, cy, w, h normalised to 0-1.

From ultralytics/nn/modules/head.py (RTDETRDecoder in export mode returns
cat(dec_bboxes, dec_scores.sigmoid())) and ultralytics/models/rtdetr/predict.py + val.py:
- pre-processing is LetterBox(auto=False, scale_fill=True): the image is *stretched* to the square
  input (no padding), RGB, pixels / 255;
- boxes are normalised cx, cy, w, h; predict.py multiplies them by the original width/height,
  which is what un-stretching normalised input coordinates gives;
- each query keeps its best class (scores.max(-1)), score > conf (0.001 for val); no NMS.
A 2-class RT-DETR writes (1, 300, 6), the same shape as an end-to-end YOLO: `decoder: auto` reads the
Ultralytics metadata (head RTDETRDecoder) to tell them apart, and asks when there is none.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from benchgen.decoders.base import NORMALISED, cxcywh_to_xyxy, Decoded, DecoderPipeline, standard_pipeline
from benchgen.decoders.grids import anchor_points
from benchgen.decoders.onnx_info import OnnxInfo
from benchgen.decoders.preprocess import Convention
from benchgen.decoders.spec import BuildContext, DecoderSpec
from benchgen.decoders.yolov5 import anchor_rows
from benchgen.pipeline import ImageMeta

OPTIONS = {"score_threshold": 0.001, "clip": True}
RTDETR = Convention(resize="stretch", channels="rgb", pixel_range="0-1")


def check(info: OnnxInfo, input_size: int) -> str | None:
    if len(info.outputs) != 1 or info.outputs[0].rank != 3:
        return "expects one output of shape (1, queries, 4 + classes)"
    width = info.outputs[0].shape[2]
    if isinstance(width, int) and width < 5:
        return f"expects 4 box values + class scores per query, the output has {width}"
    return None


def recognise(info: OnnxInfo, input_size: int) -> bool:
    """Queries outnumber values per query (300 x 84; a transposed raw head is the other way round), and
    their count is not one row per anchor point of a stride-8/16/32 grid (YOLOX's 3549 x 85 at 416 px)."""
    if check(info, input_size) is not None:
        return False
    queries, width = info.outputs[0].shape[1:]
    per_anchor = {anchor_points(input_size), *anchor_rows(input_size)}  # anchor-free, YOLOv5's P5 and P6 heads
    return isinstance(queries, int) and isinstance(width, int) and width < queries and queries not in per_anchor


def make_decode(options: dict):
    def decode(outputs: Sequence[np.ndarray], meta: ImageMeta) -> Decoded:
        rows = np.asarray(outputs[0], dtype=np.float32)[0]
        scores = rows[:, 4:]
        classes = scores.argmax(axis=1)
        best = scores[np.arange(len(rows)), classes]
        keep = best > options["score_threshold"]
        order = np.argsort(-best[keep], kind="stable")
        return Decoded(cxcywh_to_xyxy(rows[keep, :4])[order], best[keep][order], classes[keep][order], NORMALISED)
    return decode


def build(ctx: BuildContext) -> DecoderPipeline:
    return standard_pipeline(ctx, make_decode(ctx.options),
                             {"decoder": "ultralytics-rtdetr", "score_threshold": ctx.options["score_threshold"],
                              "nms": "none (one box per query)"})


DECODER = DecoderSpec("ultralytics-rtdetr", "Ultralytics RT-DETR (1, K, 4+C): normalised cx,cy,w,h + sigmoid class "
                      "scores, stretched input", RTDETR, build, OPTIONS, check, recognise)
