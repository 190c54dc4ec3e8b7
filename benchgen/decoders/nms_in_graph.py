"""Exports with NMS (or top-k) in the graph and separate boxes / scores / labels outputs.

torchvision detection models, mmdet/mmdeploy, TensorRT-style EfficientNMS graphs (num_dets,
det_boxes, det_scores, det_classes) and the official RT-DETR/RT-DETRv2 export (labels, boxes,
scores, with an `orig_target_sizes` input) all write this. Outputs are found by name, with or
without a batch axis. Boxes are x1, y1, x2, y2:
- with a second (N, 2) input, the graph scaled them to the original image itself ([w, h] is fed,
  as RT-DETRv2's `orig_target_sizes`): they are already in original pixels;
- otherwise in input pixels (`boxes: normalised` or `original-pixels` where an exporter differs).
Default pre-processing is the RT-DETRv2 one: stretched, RGB, 0-1, no mean/std.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from benchgen.decoders.base import ORIGINAL_PIXELS, cxcywh_to_xyxy, Decoded, DecoderPipeline, feed_names, standard_pipeline
from benchgen.decoders.onnx_info import OnnxInfo
from benchgen.decoders.preprocess import Convention
from benchgen.decoders.spec import BuildContext, DecoderSpec
from benchgen.pipeline import ImageMeta

OPTIONS = {"score_threshold": 0.0, "boxes": "auto", "box_format": "xyxy", "clip": False}
STRETCH = Convention(resize="stretch", channels="rgb", pixel_range="0-1")
NAMES = {"boxes": ("boxes", "det_boxes", "bboxes", "dets"),
         "scores": ("scores", "det_scores", "confidences"),
         "labels": ("labels", "det_classes", "classes", "class_ids"),
         "count": ("num_dets", "num_detections", "num")}


def output_indices(info: OnnxInfo) -> dict[str, int] | None:
    index = {t.name.lower(): i for i, t in enumerate(info.outputs)}
    found = {}
    for role, names in NAMES.items():
        hit = next((index[n] for n in names if n in index), None)
        if hit is not None:
            found[role] = hit
    return found if {"boxes", "scores", "labels"} <= set(found) else None


def check(info: OnnxInfo, input_size: int) -> str | None:
    found = output_indices(info)
    if found is None:
        return ("expects outputs named boxes, scores and labels (or det_boxes, det_scores, det_classes); "
                f"the file has {[t.name for t in info.outputs]}")
    boxes = info.outputs[found["boxes"]]
    if boxes.shape and boxes.shape[-1] not in (4, None) and not isinstance(boxes.shape[-1], str):
        return f"the boxes output {boxes.name} must end in 4 values, it has shape {boxes.shape}"
    return None


def recognise(info: OnnxInfo, input_size: int) -> bool:
    return check(info, input_size) is None


def make_decode(found: dict[str, int], space: str, options: dict):
    def flat(array, width=None):
        array = np.asarray(array)
        if width:
            return array.reshape(-1, width)
        return array.reshape(-1)

    def decode(outputs: Sequence[np.ndarray], meta: ImageMeta) -> Decoded:
        boxes = flat(outputs[found["boxes"]], 4).astype(np.float32)
        scores = flat(outputs[found["scores"]]).astype(np.float32)
        labels = flat(outputs[found["labels"]]).astype(np.int64)
        if "count" in found:  # EfficientNMS pads to a fixed K; num_dets says how many rows are real
            count = int(flat(outputs[found["count"]])[0])
            boxes, scores, labels = boxes[:count], scores[:count], labels[:count]
        if options["box_format"] == "cxcywh":
            boxes = cxcywh_to_xyxy(boxes)
        keep = scores > options["score_threshold"]
        order = np.argsort(-scores[keep], kind="stable")
        return Decoded(boxes[keep][order], scores[keep][order], labels[keep][order], space)
    return decode


def build(ctx: BuildContext) -> DecoderPipeline:
    _, sizes = feed_names(ctx.info)
    found = output_indices(ctx.info) if ctx.info is not None else {"labels": 0, "boxes": 1, "scores": 2}
    space = ctx.options["boxes"]
    if space == "auto":
        space = ORIGINAL_PIXELS if sizes else "input-pixels"
    return standard_pipeline(ctx, make_decode(found, space, ctx.options),
                             {"decoder": "nms-in-graph", "boxes": space, "nms": "in the graph",
                              "score_threshold": ctx.options["score_threshold"], "sizes_input": sizes},
                             with_sizes=True)


DECODER = DecoderSpec("nms-in-graph", "separate boxes / scores / labels outputs (torchvision, mmdet, RT-DETRv2 "
                      "with orig_target_sizes, EfficientNMS)", STRETCH, build, OPTIONS, check, recognise)
