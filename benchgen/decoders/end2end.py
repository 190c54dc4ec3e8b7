"""End-to-end exports with one (1, K, 6) output: x1, y1, x2, y2, score, class index per row.

Ultralytics YOLO26 / YOLOv10 (end2end head) and `export(nms=True)` files write this; so do many
hand-made exports with NMS in the graph. Nothing is suppressed here (the graph did it); rows under
the score threshold (padding rows of an NMS export score 0) are dropped. Ultralytics'
preprocessing applies unless the registry says otherwise; `box_format: cxcywh` and
`boxes: normalised` cover exporters that write the same shape in other units.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from benchgen.decoders.base import cxcywh_to_xyxy, Decoded, DecoderPipeline, standard_pipeline
from benchgen.decoders.onnx_info import OnnxInfo
from benchgen.decoders.spec import BuildContext, DecoderSpec
from benchgen.decoders.ultralytics import ULTRALYTICS
from benchgen.pipeline import ImageMeta

OPTIONS = {"score_threshold": 0.001, "box_format": "xyxy", "boxes": "input-pixels", "clip": True}


def check(info: OnnxInfo, input_size: int) -> str | None:
    if len(info.outputs) != 1 or info.outputs[0].rank != 3 or info.outputs[0].shape[2] != 6:
        return "expects one output of shape (1, detections, 6): x1, y1, x2, y2, score, class"
    return None


def recognise(info: OnnxInfo, input_size: int) -> bool:
    return check(info, input_size) is None


def make_decode(options: dict):
    if options["box_format"] not in ("xyxy", "cxcywh"):
        raise ValueError(f"box_format must be xyxy or cxcywh, not {options['box_format']!r}")

    def decode(outputs: Sequence[np.ndarray], meta: ImageMeta) -> Decoded:
        rows = np.asarray(outputs[0], dtype=np.float32)[0]
        rows = rows[rows[:, 4] > options["score_threshold"]]
        boxes = cxcywh_to_xyxy(rows[:, :4]) if options["box_format"] == "cxcywh" else rows[:, :4]
        return Decoded(boxes, rows[:, 4], np.rint(rows[:, 5]).astype(np.int64), options["boxes"])
    return decode


def build(ctx: BuildContext) -> DecoderPipeline:
    options = ctx.options
    return standard_pipeline(ctx, make_decode(options),
                             {"decoder": "end2end", "score_threshold": options["score_threshold"],
                              "box_format": options["box_format"], "nms": "in the graph"})


DECODER = DecoderSpec("end2end", "end-to-end (1, K, 6): x1,y1,x2,y2 px, score, class (YOLO26, YOLOv10, nms=True)",
                      ULTRALYTICS, build, OPTIONS, check, recognise)
