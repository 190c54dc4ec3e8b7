"""What every bring-your-own decoder shares: a stated convention in, COCO detections out.

A format decoder only turns raw outputs into boxes, scores and class indices and says which
coordinate space the boxes are in; undoing the letterbox or stretch, clipping and mapping class
indices to COCO ids happen here, once, so no format can get them subtly different.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from benchgen.decoders.onnx_info import OnnxInfo
from benchgen.decoders.preprocess import Convention, category_table, to_category_ids, transform
from benchgen.pipeline import Detections, ImageMeta

#: coordinate spaces a decoder's boxes can come in
INPUT_PIXELS, NORMALISED, ORIGINAL_PIXELS = "input-pixels", "normalised", "original-pixels"


@dataclass
class Decoded:
    boxes: np.ndarray  # (K, 4) x1, y1, x2, y2 in `space`
    scores: np.ndarray  # (K,)
    classes: np.ndarray  # (K,) class indices (or COCO ids with class_map coco-ids)
    space: str = INPUT_PIXELS


def cxcywh_to_xyxy(boxes: np.ndarray) -> np.ndarray:
    boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
    out = np.empty_like(boxes)
    out[:, :2] = boxes[:, :2] - boxes[:, 2:] / 2
    out[:, 2:] = boxes[:, :2] + boxes[:, 2:] / 2
    return out


@dataclass
class DecoderPipeline:
    """Pipeline = convention (pre-processing) + a format's `decode` + the shared un-mapping."""

    input_size: tuple[int, int]
    convention: Convention
    decode: Callable[[Sequence[np.ndarray], ImageMeta], Decoded]
    class_map: Any = None
    clip: bool = False
    image_input: str = "images"
    #: name of an (N, 2) int64 [w, h] input, for exports that scale boxes inside the graph
    sizes_input: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    #: what the graph's image input takes: float16 for half-precision exports
    image_dtype: Any = np.float32

    def __post_init__(self) -> None:
        self._table = category_table(self.class_map)
        if self.image_dtype is not np.float32:
            self.settings = {**self.settings, "input_dtype": np.dtype(self.image_dtype).name}
        self.settings = {**self.settings, **self.convention.settings(),
                         "class_map": self.class_map if isinstance(self.class_map, str) else
                         ("coco80" if self.class_map is None else "custom list")}

    def preprocess(self, image_bgr: np.ndarray) -> tuple[dict[str, np.ndarray], ImageMeta]:
        tensor, meta = transform(image_bgr, self.input_size, self.convention)
        feeds = {self.image_input: tensor.astype(self.image_dtype, copy=False)}
        if self.sizes_input:
            feeds[self.sizes_input] = np.array([[meta.orig_width, meta.orig_height]], dtype=np.int64)
        return feeds, meta

    def postprocess(self, outputs: Sequence[np.ndarray], meta: ImageMeta) -> Detections:
        decoded = self.decode(outputs, meta)
        boxes = np.asarray(decoded.boxes, dtype=np.float32).reshape(-1, 4).copy()
        if decoded.space == NORMALISED:
            boxes[:, 0::2] *= self.input_size[1]
            boxes[:, 1::2] *= self.input_size[0]
        if decoded.space in (INPUT_PIXELS, NORMALISED):
            boxes[:, 0::2] = (boxes[:, 0::2] - meta.pad_x) / meta.scale_x
            boxes[:, 1::2] = (boxes[:, 1::2] - meta.pad_y) / meta.scale_y
        if self.clip:
            boxes[:, 0::2] = boxes[:, 0::2].clip(0, meta.orig_width)
            boxes[:, 1::2] = boxes[:, 1::2].clip(0, meta.orig_height)
        category_ids, valid = to_category_ids(decoded.classes, self._table)
        return Detections(boxes=boxes[valid], scores=np.asarray(decoded.scores).reshape(-1)[valid],
                          category_ids=category_ids[valid])


def image_dtype(info: OnnxInfo | None):
    """float16 where the export's image input is half precision (ONNX elem_type 10), else float32."""
    return np.float16 if info is not None and info.image_input.elem_type == 10 else np.float32


def feed_names(info: OnnxInfo | None) -> tuple[str, str | None]:
    """The image input's name, and the orig_target_sizes-like input's name if the graph has one."""
    if info is None:
        return "images", None
    image = info.image_input.name
    others = [t.name for t in info.inputs if t.name != image]
    return image, (others[0] if others else None)


def standard_pipeline(ctx, decode, settings: dict, class_map=None, with_sizes: bool = False) -> "DecoderPipeline":
    """The pipeline every format builds: a square input at the variant's size, the registry's
    convention and clipping, the file's image input (and its sizes input, for exports that take
    one) and input dtype. Only the decode step and what the result records differ per format."""
    image, sizes = feed_names(ctx.info)
    extra = {"sizes_input": sizes} if with_sizes else {}
    return DecoderPipeline((ctx.input_size, ctx.input_size), ctx.convention, decode,
                           ctx.class_map if class_map is None else class_map, clip=bool(ctx.options["clip"]),
                           image_input=image, image_dtype=image_dtype(ctx.info), settings=settings, **extra)
