"""DETR-style exports: class logits (N, Q, C) and normalised cx, cy, w, h boxes (N, Q, 4).

Two heads write this shape and score it differently, so the activation is always stated (given as
`decoder_options.activation`, or read from the class count and recorded in the settings):
- `sigmoid` (Deformable DETR, DINO, RT-DETR, HF *ForObjectDetection with focal loss): every
  (query, class) pair is a candidate; the top `top_k` pairs over Q x C are kept, as their
  PostProcess does;
- `softmax` (the original DETR): softmax over C classes whose *last* one is "no object"; each query
  keeps its best real class.
C = 80 or 91 means sigmoid; 81 or 92 (80/91 + no-object) means softmax. 91/92-class heads index
classes by COCO category id (index 0 unused), so their default class map is coco-ids.
Default pre-processing: stretched to the input, RGB, 0-1, ImageNet mean/std (what DETR-family
repositories and Hugging Face's image processors do); RT-DETR-style files set mean [0, 0, 0] and std [1, 1, 1].
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from benchgen.decoders.base import NORMALISED, cxcywh_to_xyxy, Decoded, DecoderPipeline, standard_pipeline
from benchgen.decoders.onnx_info import OnnxInfo, TensorInfo
from benchgen.decoders.preprocess import Convention
from benchgen.decoders.spec import BuildContext, DecoderSpec
from benchgen.pipeline import ImageMeta

OPTIONS = {"activation": "auto", "top_k": 100, "score_threshold": 0.0, "clip": False}
IMAGENET = Convention(resize="stretch", channels="rgb", pixel_range="0-1",
                      mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225))
LOGIT_NAMES = ("pred_logits", "logits", "class_logits", "scores")
BOX_NAMES = ("pred_boxes", "boxes", "bboxes")
ACTIVATION_BY_CLASSES = {80: "sigmoid", 91: "sigmoid", 81: "softmax", 92: "softmax"}


def outputs_of(info: OnnxInfo) -> tuple[int, int] | None:
    """Indices (logits, boxes) among the outputs: by name, else the rank-3 pair whose last dims are C and 4."""
    three = [(i, t) for i, t in enumerate(info.outputs) if t.rank == 3]
    if len(three) != 2:
        return None
    by_name = {t.name.lower(): i for i, t in three}
    logits = next((by_name[n] for n in LOGIT_NAMES if n in by_name), None)
    boxes = next((by_name[n] for n in BOX_NAMES if n in by_name), None)
    if logits is None or boxes is None or logits == boxes:
        fours = [i for i, t in three if t.shape[2] == 4]
        if len(fours) != 1:
            return None
        boxes = fours[0]
        logits = next(i for i, _ in three if i != boxes)
    return logits, boxes


def check(info: OnnxInfo, input_size: int) -> str | None:
    found = outputs_of(info)
    if found is None:
        return "expects two rank-3 outputs: class logits (N, Q, C) and boxes (N, Q, 4)"
    logits, boxes = info.outputs[found[0]], info.outputs[found[1]]
    if boxes.shape[2] != 4:
        return f"the boxes output {boxes.name} must end in 4 values, it has shape {boxes.shape}"
    if isinstance(logits.shape[1], int) and isinstance(boxes.shape[1], int) and logits.shape[1] != boxes.shape[1]:
        return f"logits {logits.name} and boxes {boxes.name} have different query counts"
    return None


def recognise(info: OnnxInfo, input_size: int) -> bool:
    return len(info.outputs) == 2 and check(info, input_size) is None


def activation_for(logits: TensorInfo | None, activation: str) -> str:
    if activation in ("sigmoid", "softmax"):
        return activation
    classes = logits.shape[2] if logits is not None else None
    if classes in ACTIVATION_BY_CLASSES:
        return ACTIVATION_BY_CLASSES[classes]
    raise ValueError(f"a DETR-style head with {classes} classes could score them with a sigmoid or with a softmax "
                     "whose last class is 'no object'; set decoder_options: {activation: sigmoid} or "
                     "{activation: softmax} in the registry")


def make_decode(order: tuple[int, int], activation: str, options: dict):
    def decode(outputs: Sequence[np.ndarray], meta: ImageMeta) -> Decoded:
        logits = np.asarray(outputs[order[0]], dtype=np.float32)[0]
        boxes = cxcywh_to_xyxy(np.asarray(outputs[order[1]], dtype=np.float32)[0])
        if activation == "softmax":
            shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
            prob = (shifted / shifted.sum(axis=1, keepdims=True))[:, :-1]
            classes = prob.argmax(axis=1)
            scores = prob[np.arange(len(prob)), classes]
            picked = np.arange(len(prob))
        else:
            prob = 1.0 / (1.0 + np.exp(-logits))
            flat = prob.reshape(-1)
            k = min(int(options["top_k"]), flat.size)
            top = np.argsort(-flat, kind="stable")[:k]
            picked, classes, scores = top // prob.shape[1], top % prob.shape[1], flat[top]
        keep = scores > options["score_threshold"]
        ranked = np.argsort(-scores[keep], kind="stable")
        return Decoded(boxes[picked[keep]][ranked], scores[keep][ranked], classes[keep][ranked], NORMALISED)
    return decode


def build(ctx: BuildContext) -> DecoderPipeline:
    order = outputs_of(ctx.info) if ctx.info is not None else (0, 1)
    logits = ctx.info.outputs[order[0]] if ctx.info is not None else None
    activation = activation_for(logits, ctx.options["activation"])
    class_map = ctx.class_map
    if class_map is None and logits is not None and logits.shape[2] in (91, 92):
        class_map = "coco-ids"
    decode = make_decode(order, activation, ctx.options)
    return standard_pipeline(ctx, decode, {"decoder": "detr", "activation": activation, "top_k": ctx.options["top_k"],
                                           "score_threshold": ctx.options["score_threshold"], "nms": "none"},
                             class_map=class_map)


DECODER = DecoderSpec("detr", "DETR-style logits (N, Q, C) + normalised cx,cy,w,h boxes (N, Q, 4); sigmoid or "
                      "softmax with no-object", IMAGENET, build, OPTIONS, check, recognise)
