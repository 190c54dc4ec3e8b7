"""YOLOX's official evaluation pre- and post-processing, for ONNX files exported by YOLOX's tools.

Reproduces what `yolox.tools.eval --conf 0.001` does (YOLOX's README), so that a measured mAP can
be held against the published one:

- pre-processing is `ValTransform` (legacy=False): aspect-preserving resize with cv2 INTER_LINEAR,
  image at the top-left of a canvas filled with 114, BGR, 0-255, no mean/std;
- the exported head leaves the boxes undecoded (`decode_in_inference` is off in YOLOX's export), so
  the grid decoding of `YOLOXHead.decode_outputs` runs here;
- `yolox.utils.postprocess`: each anchor point keeps only its best class, score = obj * cls,
  score >= 0.001, class-aware NMS at IoU 0.65, and *no* top-k cap (COCOeval's maxDets=100 per
  image and category is the only cap, as in the official evaluator);
- boxes are divided by the resize ratio and not clipped to the image, as `COCOEvaluator` does.
"""

from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np

from benchgen.decoders.grids import anchor_points
from benchgen.decoders.onnx_info import OnnxInfo
from benchgen.decoders.preprocess import Convention, transform
from benchgen.decoders.spec import BuildContext, DecoderSpec
from benchgen.pipeline import COCO_CATEGORY_IDS, Detections, ImageMeta
from benchgen.postprocess.nms import batched_nms

#: `test_conf` given on YOLOX's documented evaluation command line (`--conf 0.001`).
SCORE_THRESHOLD = 0.001
#: `Exp.nmsthre` of every official YOLOX experiment.
NMS_IOU = 0.65
STRIDES = (8, 16, 32)
PAD_VALUE = 114
#: ValTransform as a convention, for registry entries that override one of its steps
YOLOX = Convention(resize="letterbox", pad="top-left", pad_value=PAD_VALUE, channels="bgr", pixel_range="0-255",
                   truncate=True)


def letterbox(image_bgr: np.ndarray, size: tuple[int, int], pad_value: int = PAD_VALUE) -> tuple[np.ndarray, float]:
    """YOLOX's `preproc`: one ratio for both axes, truncated sizes, image top-left, uint8 HWC canvas."""
    height, width = image_bgr.shape[:2]
    ratio = min(size[0] / height, size[1] / width)
    new_w, new_h = int(width * ratio), int(height * ratio)
    canvas = np.full((size[0], size[1], 3), pad_value, dtype=np.uint8)
    canvas[:new_h, :new_w] = cv2.resize(image_bgr, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    return canvas, ratio


def make_grids(size: tuple[int, int], strides: Sequence[int] = STRIDES) -> tuple[np.ndarray, np.ndarray]:
    """Cell x/y and stride of every output row, in the head's order (stride by stride, row-major)."""
    cells, row_strides = [], []
    for stride in strides:
        rows, cols = size[0] // stride, size[1] // stride
        ys, xs = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
        cells.append(np.stack((xs, ys), axis=-1).reshape(-1, 2))
        row_strides.append(np.full((rows * cols, 1), stride))
    return np.concatenate(cells).astype(np.float32), np.concatenate(row_strides).astype(np.float32)


class YoloxPipeline:
    """Pipeline for a YOLOX ONNX file whose single output is (1, anchors, 5 + classes), undecoded."""

    def __init__(self, input_size: int = 416, score_threshold: float = SCORE_THRESHOLD, nms_iou: float = NMS_IOU,
                 input_name: str = "images", convention: Convention | None = None) -> None:
        self.input_size = (input_size, input_size)
        self.convention = None if convention == YOLOX else convention
        self.score_threshold = score_threshold
        self.nms_iou = nms_iou
        self.input_name = input_name
        self._cells, self._strides = make_grids(self.input_size)
        self.settings = {"decoder": "yolox", "score_threshold": score_threshold, "nms_iou": nms_iou,
                         "nms": "class-aware", "max_detections": None}
        if self.convention is not None:
            self.settings.update(self.convention.settings())

    def preprocess(self, image_bgr: np.ndarray) -> tuple[dict[str, np.ndarray], ImageMeta]:
        if self.convention is not None:
            tensor, meta = transform(image_bgr, self.input_size, self.convention)
            return {self.input_name: tensor}, meta
        canvas, ratio = letterbox(image_bgr, self.input_size)
        tensor = np.ascontiguousarray(canvas.transpose(2, 0, 1)[None], dtype=np.float32)
        height, width = image_bgr.shape[:2]
        meta = ImageMeta(orig_width=width, orig_height=height, scale_x=ratio, scale_y=ratio)
        return {self.input_name: tensor}, meta

    def decode(self, raw: np.ndarray) -> np.ndarray:
        """Rows of cx, cy, w, h in network-input pixels followed by obj and class scores."""
        raw = np.asarray(raw, dtype=np.float32).reshape(-1, np.shape(raw)[-1])
        if raw.shape[0] != self._cells.shape[0]:
            raise ValueError(f"YOLOX output has {raw.shape[0]} rows; a {self.input_size[0]}x{self.input_size[1]} "
                             f"input with strides {STRIDES} gives {self._cells.shape[0]} (wrong input size in the "
                             "registry, or an export with decode_in_inference on?)")
        if raw.shape[1] != 5 + len(COCO_CATEGORY_IDS):
            raise ValueError(f"YOLOX output rows have {raw.shape[1]} values; a COCO model has 5 + "
                             f"{len(COCO_CATEGORY_IDS)} (box, objectness, class scores)")
        decoded = raw.copy()
        decoded[:, :2] = (raw[:, :2] + self._cells) * self._strides
        decoded[:, 2:4] = np.exp(raw[:, 2:4]) * self._strides
        return decoded

    def postprocess(self, outputs: Sequence[np.ndarray], meta: ImageMeta) -> Detections:
        decoded = self.decode(outputs[0])
        class_scores = decoded[:, 5:]
        class_ids = class_scores.argmax(axis=1)
        scores = decoded[:, 4] * class_scores[np.arange(len(class_ids)), class_ids]
        keep = scores >= self.score_threshold
        decoded, scores, class_ids = decoded[keep], scores[keep], class_ids[keep]
        boxes = np.empty((len(decoded), 4), dtype=np.float32)
        boxes[:, :2] = decoded[:, :2] - decoded[:, 2:4] / 2
        boxes[:, 2:] = decoded[:, :2] + decoded[:, 2:4] / 2
        order = batched_nms(boxes, scores, class_ids, self.nms_iou)
        boxes, scores, class_ids = boxes[order], scores[order], class_ids[order]
        boxes[:, 0::2] = (boxes[:, 0::2] - meta.pad_x) / meta.scale_x
        boxes[:, 1::2] = (boxes[:, 1::2] - meta.pad_y) / meta.scale_y
        category_ids = np.asarray(COCO_CATEGORY_IDS, dtype=np.int64)[class_ids]
        return Detections(boxes=boxes, scores=scores, category_ids=category_ids)


def make_pipeline(input_size: int) -> YoloxPipeline:
    return YoloxPipeline(input_size=input_size)


def check(info: OnnxInfo, input_size: int) -> str | None:
    if len(info.outputs) != 1 or info.outputs[0].rank != 3:
        return "expects one output of shape (1, anchor points, 5 + classes)"
    rows, width = info.outputs[0].shape[1:]
    if isinstance(width, int) and width != 5 + len(COCO_CATEGORY_IDS):
        return f"expects 5 + {len(COCO_CATEGORY_IDS)} values per anchor point (box, objectness, classes), got {width}"
    if isinstance(rows, int) and rows != anchor_points(input_size, STRIDES):
        return (f"expects {anchor_points(input_size, STRIDES)} anchor points at {input_size} px (strides {STRIDES}), "
                f"the output has {rows}")
    return None


def recognise(info: OnnxInfo, input_size: int) -> bool:
    """Only a row count the graph fixes at one per anchor point: a dynamic count could as well be a
    YOLOv5/YOLOv7 head (3 anchors per cell, same row layout), so such a file names its decoder."""
    if check(info, input_size) is not None:
        return False
    rows = info.outputs[0].shape[1]
    return isinstance(rows, int) and rows == anchor_points(input_size, STRIDES)


def build(ctx: BuildContext) -> YoloxPipeline:
    if ctx.class_map not in (None, "coco80"):
        raise ValueError("the yolox decoder maps its 80 classes to COCO ids (class_map coco80) only")
    name = ctx.info.image_input.name if ctx.info is not None else "images"
    return YoloxPipeline(ctx.input_size, ctx.options["score_threshold"], ctx.options["nms_iou"], name, ctx.convention)


DECODER = DecoderSpec("yolox", "YOLOX (1, N, 5+80) undecoded grid head, objectness x class, NMS after; BGR 0-255, "
                      "top-left letterbox", YOLOX, build, {"score_threshold": SCORE_THRESHOLD, "nms_iou": NMS_IOU},
                      check, recognise)
