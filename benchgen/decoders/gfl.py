"""GFL-style distribution heads (NanoDet, PP-PicoDet): per-stride class maps and box-side distributions.

Such an export ends before any decoding: for each stride s of the head it emits a class map
(1, N_s, C) of sigmoid scores and a box map (1, N_s, 4 x B): for each of the sides left, top,
right, bottom, B logits over the distances 0 .. B-1 (in units of s). Decoding is GFL's integral:
softmax over the bins, expectation, times the stride, measured from the cell centre. There is no
objectness and no NMS in the graph, so NMS and this decode are part of the end-to-end time, as for
every other NMS detector.

Nothing here relies on output names: class and box maps are paired by their row count N_s (one
pair per stride), told apart by their width (C classes, taken from the class map, against 4 x B),
and each pair's stride follows from N_s and the input size (N_s = ceil(size / s)^2, s a power of
two). The bin count is the box map's width / 4. Where the shapes cannot decide (a class count
that is also a multiple of four times the bins, two maps of one row count, a grid that is not a
power-of-two stride) the error names `decoder_options` to set (`num_classes`, `strides`).

What differs between the two exporters is their evaluation, and that was read from upstream:

- NanoDet (RangiLyu/nanodet, legacy v0.x: config/legacy_v0.x_configs/nanodet-m.yml @ 4e02e91,
  nanodet/model/head/gfl_head.py @ 1079584, nanodet/data/transform/warp.py): the val pipeline has
  keep_ratio True, so `get_resize_matrix` scales by the ratio that fits the image and centres it at
  a sub-pixel offset, `cv2.warpPerspective` (linear, border 0) draws it; BGR, normalised with the
  BGR mean [103.53, 116.28, 123.675] and std [57.375, 57.12, 58.395]. Cell centres are
  (i + 0.5) x stride (`get_single_level_center_point`). `get_bboxes_single` keeps the 1000 cells of
  best class score per level, clips boxes to the input, then `multiclass_nms`: every (box, class)
  with score > 0.05, class-aware NMS at IoU 0.6, the best 100 per image; boxes are warped back and
  clipped to the image.
- PP-PicoDet (PaddleDetection, legacy 2021.10 model zoo: configs/picodet/legacy_model/
  _base_/picodet_320_reader.yml and _base_/picodet_esnet.yml @ 666f597, ppdet/modeling/heads/
  pico_head.py): EvalReader decodes to RGB, `Resize` with keep_ratio False and interp 2 (cubic:
  a stretch), `NormalizeImage` /255 with ImageNet mean/std. `cell_offset: 0.5`, so centres are also
  (i + 0.5) x stride, over strides 8, 16, 32, 64. `MultiClassNMS`: score > 0.025, the 1000 best per
  class, NMS at IoU 0.6, keep_top_k 100; boxes divided by the scale factor, not clipped.

Which of the two a file is comes from its output names (paddle2onnx's `save_infer_model/
scale_*.tmp_*`, NanoDet's `cls_pred_stride_*` / `dis_pred_stride_*`) or from
`decoder_options: {format: nanodet|picodet}`; the shapes alone cannot tell them apart.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

import numpy as np

from benchgen.decoders.base import INPUT_PIXELS, Decoded, DecoderPipeline, standard_pipeline
from benchgen.decoders.onnx_info import OnnxInfo
from benchgen.decoders.preprocess import Convention, category_table
from benchgen.decoders.spec import BuildContext, DecoderSpec
from benchgen.errors import BenchgenError
from benchgen.pipeline import ImageMeta
from benchgen.postprocess.nms import batched_nms

NANODET = Convention(resize="warp", pad="center", pad_value=0, channels="bgr", pixel_range="0-255",
                     mean=(103.53, 116.28, 123.675), std=(57.375, 57.12, 58.395))
PICODET = Convention(resize="stretch", channels="rgb", pixel_range="0-1", mean=(0.485, 0.456, 0.406),
                     std=(0.229, 0.224, 0.225), interpolation="cubic")

#: each exporter's own evaluation settings (see the module docstring for where they were read)
FORMATS: dict[str, dict] = {
    "nanodet": {"convention": NANODET, "score_threshold": 0.05, "nms_iou": 0.6, "max_detections": 100,
                "pre_nms_top_k": 1000, "top_k_per": "level", "clip_to_input": True, "clip": True,
                "cell_offset": 0.5},
    "picodet": {"convention": PICODET, "score_threshold": 0.025, "nms_iou": 0.6, "max_detections": 100,
                "pre_nms_top_k": 1000, "top_k_per": "class", "clip_to_input": False, "clip": False,
                "cell_offset": 0.5},
}
#: options a registry may set; None (and "" / 0 for strides / num_classes) take the format's or the file's
OPTIONS = {"format": "auto", "score_threshold": None, "nms_iou": None, "max_detections": None,
           "pre_nms_top_k": None, "cell_offset": None, "clip": None, "num_classes": 0, "strides": ""}
OPTION_TYPES = {"score_threshold": float, "nms_iou": float, "max_detections": int, "pre_nms_top_k": int,
                "cell_offset": float, "clip": bool}
_POWERS_OF_TWO = tuple(2 ** k for k in range(1, 9))


@dataclass(frozen=True)
class Level:
    stride: int
    cls_output: int  # index among the outputs
    box_output: int
    side: int  # cells per row and column (square input)


@dataclass(frozen=True)
class Layout:
    levels: tuple[Level, ...]
    bins: int
    num_classes: int


def _parse_strides(strides) -> tuple[int, ...] | None:
    if strides in (None, "", 0):
        return None
    try:
        values = tuple(int(v) for v in str(strides).replace(" ", "").split(","))
    except ValueError:
        raise ValueError(f"decoder_options.strides {strides!r} is not a comma-separated list of integers "
                         "such as \"8,16,32,64\"") from None
    if any(v <= 0 for v in values):
        raise ValueError(f"decoder_options.strides {strides!r}: strides must be positive")
    return values


def _stride_for(rows: int, input_size: int) -> int | None:
    side = math.isqrt(rows)
    if side * side != rows:
        return None
    fits = [s for s in _POWERS_OF_TWO if math.ceil(input_size / s) == side]
    return fits[0] if len(fits) == 1 else None


def layout(shapes: Sequence[tuple], names: Sequence[str], input_size: int, num_classes: int,
           strides: tuple[int, ...] | None = None) -> Layout:
    """Pair the outputs into levels from their shapes alone; ValueError (naming the option) if they do not fit."""
    rows_of: dict[int, list[int]] = {}
    widths = []
    for index, shape in enumerate(shapes):
        dims = tuple(shape)
        if len(dims) == 3 and dims[0] == 1:
            dims = dims[1:]
        if len(dims) != 2 or not all(isinstance(d, int) for d in dims):
            raise ValueError(f"expects (1, N, C) class maps and (1, N, 4 x bins) box maps; output {names[index]!r} "
                             f"has shape {tuple(shape)}")
        rows_of.setdefault(dims[0], []).append(index)
        widths.append(dims[1])
    if len(rows_of) < 2:
        raise ValueError("expects a class map and a box map for each of at least two strides")
    levels, bins = [], set()
    for rows in sorted(rows_of, reverse=True):  # finest stride first
        members = rows_of[rows]
        if len(members) != 2:
            raise ValueError(f"cannot pair class and box maps by shape: {len(members)} outputs have {rows} rows "
                             f"({', '.join(names[i] for i in members)}); each stride needs exactly one of each")
        a, b = members
        is_cls = [widths[i] == num_classes for i in members]
        if all(is_cls):
            raise ValueError(f"outputs {names[a]!r} and {names[b]!r} are both {num_classes} wide, so neither can be "
                             "told for the box map; set decoder_options.num_classes (or the class_map) to the "
                             "model's class count")
        if not any(is_cls):
            raise ValueError(f"neither {names[a]!r} ({widths[a]} wide) nor {names[b]!r} ({widths[b]} wide) has "
                             f"{num_classes} columns, the class count of the class map; set class_map or "
                             "decoder_options.num_classes to the model's class count")
        cls_out, box_out = (a, b) if is_cls[0] else (b, a)
        if widths[box_out] % 4 or widths[box_out] < 8:
            raise ValueError(f"box map {names[box_out]!r} is {widths[box_out]} wide; a distribution head has 4 sides "
                             "x at least 2 bins")
        bins.add(widths[box_out] // 4)
        levels.append((rows, cls_out, box_out))
    if len(bins) != 1:
        raise ValueError(f"the box maps disagree on the bin count ({sorted(bins)}); one head has one reg_max")
    if strides is not None:
        if len(strides) != len(levels):
            raise ValueError(f"decoder_options.strides gives {len(strides)} strides but the file has "
                             f"{len(levels)} levels (row counts {', '.join(str(r) for r, _, _ in levels)})")
        for stride, (rows, _, _) in zip(strides, levels):
            if math.ceil(input_size / stride) ** 2 != rows:
                raise ValueError(f"decoder_options.strides: stride {stride} at {input_size} px gives "
                                 f"{math.ceil(input_size / stride) ** 2} cells, the level has {rows}")
        chosen = list(strides)
    else:
        chosen = []
        for rows, _, _ in levels:
            stride = _stride_for(rows, input_size)
            if stride is None:
                raise ValueError(f"a level of {rows} cells is not the square grid of a power-of-two stride at "
                                 f"{input_size} px; set decoder_options.strides (finest first, e.g. \"8,16,32\") "
                                 "or check input_size")
            chosen.append(stride)
    return Layout(tuple(Level(s, c, b, math.ceil(input_size / s)) for s, (_, c, b) in zip(chosen, levels)),
                  bins.pop(), num_classes)


def detect_format(names: Sequence[str]) -> str | None:
    """nanodet or picodet from the exporters' output names; None when the names do not say."""
    if any(name.startswith("save_infer_model/") or re.search(r"\.tmp_\d+$", name) for name in names):
        return "picodet"
    if any(re.match(r"(cls|dis|reg)_pred_stride_\d+$", name) for name in names):
        return "nanodet"
    return None


@lru_cache(maxsize=64)
def centres(side: int, stride: int, offset: float) -> np.ndarray:
    """(side^2, 2) cell centres x, y in input pixels, row-major as the heads flatten their maps."""
    ys, xs = np.meshgrid(np.arange(side, dtype=np.float32), np.arange(side, dtype=np.float32), indexing="ij")
    return np.stack(((xs.reshape(-1) + offset) * stride, (ys.reshape(-1) + offset) * stride), axis=1)


def distances(logits: np.ndarray, bins: int) -> np.ndarray:
    """GFL's integral: softmax over each side's bins, expectation over 0 .. bins-1 -> (N, 4)."""
    logits = logits.reshape(-1, 4, bins).astype(np.float32)
    logits = logits - logits.max(axis=2, keepdims=True)
    prob = np.exp(logits)
    prob /= prob.sum(axis=2, keepdims=True)
    return prob @ np.arange(bins, dtype=np.float32)


def _top_k_per_class(cls_idx: np.ndarray, scores: np.ndarray, k: int) -> np.ndarray:
    """Mask of the candidates among the k best of their class (PaddleDetection's nms_top_k)."""
    if not len(cls_idx) or np.bincount(cls_idx).max() <= k:
        return np.ones(len(cls_idx), dtype=bool)
    order = np.lexsort((-scores, cls_idx))
    sorted_cls = cls_idx[order]
    starts = np.searchsorted(sorted_cls, sorted_cls, side="left")
    rank = np.arange(len(order)) - starts
    keep = np.zeros(len(order), dtype=bool)
    keep[order[rank < k]] = True
    return keep


def make_decode(settings: dict, input_size: int, names: Sequence[str]):
    strides = _parse_strides(settings["strides"])
    cache: dict[tuple, Layout] = {}

    def decode(outputs: Sequence[np.ndarray], meta: ImageMeta) -> Decoded:
        arrays = [np.asarray(o) for o in outputs]
        shapes = tuple(a.shape for a in arrays)
        if shapes not in cache:
            labels = list(names) if len(names) == len(shapes) else [f"output {i}" for i in range(len(shapes))]
            try:
                cache[shapes] = layout(shapes, labels, input_size, settings["num_classes"], strides)
            except ValueError as exc:  # symbolic shapes: known only now, so checked only now
                raise BenchgenError(f"decoder 'gfl': the outputs it returned at run time (shapes "
                                    f"{', '.join(str(tuple(s)) for s in shapes)}) do not fit: {exc}; export the "
                                    "model with fixed output shapes and one reg_max, or set `decoder:` to its "
                                    "format") from None
        plan = cache[shapes]
        all_boxes, all_scores = [], []
        for level in plan.levels:
            scores = arrays[level.cls_output].reshape(-1, plan.num_classes).astype(np.float32)
            points = centres(level.side, level.stride, float(settings["cell_offset"]))
            dist = distances(arrays[level.box_output], plan.bins) * level.stride
            if settings["top_k_per"] == "level" and len(scores) > settings["pre_nms_top_k"]:
                best = np.argsort(-scores.max(axis=1), kind="stable")[:int(settings["pre_nms_top_k"])]
                scores, points, dist = scores[best], points[best], dist[best]
            boxes = np.concatenate((points - dist[:, :2], points + dist[:, 2:]), axis=1)
            if settings["clip_to_input"]:
                boxes = boxes.clip(0, input_size)  # NanoDet's distance2bbox(max_shape=input)
            all_boxes.append(boxes)
            all_scores.append(scores)
        boxes, scores = np.concatenate(all_boxes), np.concatenate(all_scores)
        box_idx, cls_idx = np.nonzero(scores > settings["score_threshold"])
        cand = scores[box_idx, cls_idx]
        if settings["top_k_per"] == "class":
            keep = _top_k_per_class(cls_idx, cand, int(settings["pre_nms_top_k"]))
            box_idx, cls_idx, cand = box_idx[keep], cls_idx[keep], cand[keep]
        chosen = boxes[box_idx]
        kept = batched_nms(chosen, cand, cls_idx, settings["nms_iou"], max_keep=int(settings["max_detections"]))
        return Decoded(chosen[kept], cand[kept], cls_idx[kept], INPUT_PIXELS)
    return decode


def _class_count(ctx: BuildContext) -> int:
    if ctx.options.get("num_classes"):
        return int(ctx.options["num_classes"])
    table = category_table(ctx.class_map)
    if table is None:
        raise ValueError("class_map coco-ids does not say how many classes the head has; set "
                         "decoder_options.num_classes")
    return len(table)


def _format(ctx: BuildContext) -> str:
    chosen = ctx.options.get("format", "auto")
    if chosen not in ("auto", *FORMATS):
        raise ValueError(f"decoder_options.format {chosen!r}: choose auto, {', '.join(FORMATS)}")
    if chosen != "auto":
        return chosen
    names = [t.name for t in ctx.info.outputs] if ctx.info is not None else []
    found = detect_format(names)
    if found is None:
        raise ValueError("the output names do not say whether this is a NanoDet or a PicoDet export, which differ "
                         "in preprocessing (BGR warp vs RGB stretch) and NMS; set decoder_options.format to "
                         "nanodet or picodet")
    return found


def build(ctx: BuildContext) -> DecoderPipeline:
    fmt = _format(ctx)
    defaults = FORMATS[fmt]
    settings = {k: (v if v not in (None,) else defaults.get(k)) for k, v in ctx.options.items()}
    settings.update({k: defaults[k] for k in ("top_k_per", "clip_to_input")})
    settings["num_classes"] = _class_count(ctx)
    convention = defaults["convention"].override(ctx.overrides)
    names = [t.name for t in ctx.info.outputs] if ctx.info is not None else []
    if ctx.info is not None and all(isinstance(d, int) for t in ctx.info.outputs for d in t.shape):
        plan = layout([t.shape for t in ctx.info.outputs], names, ctx.input_size, settings["num_classes"],
                      _parse_strides(settings["strides"]))
        strides, bins = ",".join(str(level.stride) for level in plan.levels), plan.bins
    else:
        strides, bins = settings["strides"] or "from the output shapes", "from the output shapes"
    record = {"decoder": "gfl", "format": fmt, "score_threshold": settings["score_threshold"],
              "nms_iou": settings["nms_iou"], "nms": "class-aware, multi-label",
              "max_detections": settings["max_detections"],
              "pre_nms_top_k": f"{settings['pre_nms_top_k']} per {settings['top_k_per']}",
              "strides": strides, "bins": bins, "cell_offset": settings["cell_offset"]}
    ctx = dataclasses.replace(ctx, convention=convention, options={**ctx.options, "clip": bool(settings["clip"])})
    return standard_pipeline(ctx, make_decode(settings, ctx.input_size, names), record)


def check(info: OnnxInfo, input_size: int) -> str | None:
    if len(info.outputs) < 4 or any(t.rank not in (2, 3) for t in info.outputs):
        return "expects a (1, N, C) class map and a (1, N, 4 x bins) box map per stride, at least two strides"
    return None


def recognise(info: OnnxInfo, input_size: int) -> bool:
    """Only fixed shapes are recognised, as 80-class heads; other class counts name `decoder: gfl`."""
    if check(info, input_size) is not None:
        return False
    try:
        layout([t.shape for t in info.outputs], [t.name for t in info.outputs], input_size, 80)
    except ValueError:
        return False
    return True


DECODER = DecoderSpec("gfl", "GFL distribution head (NanoDet, PP-PicoDet): per-stride (1, N, C) class and "
                      "(1, N, 4 x bins) box maps, paired by shape; NMS after. Preprocess below is NanoDet's; "
                      "PicoDet's is RGB, /255, cubic stretch, ImageNet mean/std. Options left None take the "
                      "format's own (NanoDet: score > 0.05, top 1000 per level; PicoDet: > 0.025, 1000 per class; "
                      "both IoU 0.6, 100 boxes)",
                      NANODET, build, OPTIONS, check, recognise, OPTION_TYPES)
