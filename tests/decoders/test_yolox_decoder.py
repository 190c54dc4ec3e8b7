"""YOLOX decoding against hand-made raw outputs: every number below is worked out from the formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest

from benchgen.decoders import make_pipeline
from benchgen.errors import BenchgenError
from benchgen.decoders.yolox import YoloxPipeline, letterbox, make_grids
from benchgen.pipeline import COCO_CATEGORY_IDS, ImageMeta

ROWS_416 = 52 * 52 + 26 * 26 + 13 * 13  # 3549, as shared/README.md says


def raw_output(rows: int = ROWS_416) -> np.ndarray:
    raw = np.zeros((1, rows, 85), dtype=np.float32)
    raw[0, :, 2:4] = 0.0  # exp(0) * stride: harmless boxes everywhere, all with objectness 0
    return raw


def put_box(raw, row, pipeline, box_xyxy, class_index, obj=1.0, cls=1.0):
    """Encode a network-input box the way YOLOX's head emits it at that row (inverse of the decode)."""
    cells, strides = make_grids(pipeline.input_size)
    x1, y1, x2, y2 = box_xyxy
    stride = strides[row, 0]
    raw[0, row, 0] = (x1 + x2) / 2 / stride - cells[row, 0]
    raw[0, row, 1] = (y1 + y2) / 2 / stride - cells[row, 1]
    raw[0, row, 2] = math.log((x2 - x1) / stride)
    raw[0, row, 3] = math.log((y2 - y1) / stride)
    raw[0, row, 4] = obj
    raw[0, row, 5 + class_index] = cls


def test_letterbox_keeps_aspect_puts_image_top_left_and_pads_114():
    image = np.full((480, 640, 3), 7, dtype=np.uint8)
    canvas, ratio = letterbox(image, (416, 416))
    assert ratio == pytest.approx(0.65)
    assert canvas.shape == (416, 416, 3)
    assert (canvas[:312] == 7).all()  # int(480 * 0.65) = 312 rows of image
    assert (canvas[312:] == 114).all()


def test_preprocess_is_bgr_0_255_float_nchw_without_normalisation():
    image = np.zeros((100, 200, 3), dtype=np.uint8)
    image[..., 0], image[..., 2] = 10, 250  # B, R
    feeds, meta = YoloxPipeline(416).preprocess(image)
    tensor = feeds["images"]
    assert tensor.shape == (1, 3, 416, 416) and tensor.dtype == np.float32
    assert tensor[0, 0, 0, 0] == 10 and tensor[0, 2, 0, 0] == 250  # channel 0 stays blue
    assert tensor[0, 1, 300, 0] == 114  # below the 208-row image: padding
    assert (meta.orig_width, meta.orig_height, meta.scale_x, meta.pad_x) == (200, 100, 2.08, 0)


def test_grids_follow_the_head_order():
    cells, strides = make_grids((416, 416))
    assert len(cells) == ROWS_416
    assert cells[:3].tolist() == [[0, 0], [1, 0], [2, 0]]  # x varies fastest
    assert cells[52].tolist() == [0, 1]
    assert strides[52 * 52 - 1, 0] == 8 and strides[52 * 52, 0] == 16 and strides[-1, 0] == 32
    assert cells[-1].tolist() == [12, 12]


def test_box_is_decoded_scaled_back_and_mapped_to_its_coco_category():
    pipeline = YoloxPipeline(416)
    raw = raw_output()
    row = 52 * 52 + 3  # stride 16 grid, cell (3, 0)
    put_box(raw, row, pipeline, (40.0, 8.0, 104.0, 40.0), class_index=11, obj=0.9, cls=0.8)
    meta = ImageMeta(orig_width=832, orig_height=832, scale_x=0.5, scale_y=0.5)
    detections = pipeline.postprocess([raw], meta)
    assert len(detections) == 1
    np.testing.assert_allclose(detections.boxes[0], [80.0, 16.0, 208.0, 80.0], atol=1e-3)
    assert detections.scores[0] == pytest.approx(0.72)
    assert detections.category_ids[0] == 13  # class index 11 is "stop sign", COCO id 13 (id 12 is unused)


def test_last_class_maps_to_coco_id_90():
    pipeline = YoloxPipeline(416)
    raw = raw_output()
    put_box(raw, 0, pipeline, (0.0, 0.0, 16.0, 16.0), class_index=79)
    detections = pipeline.postprocess([raw], ImageMeta(416, 416))
    assert detections.category_ids.tolist() == [COCO_CATEGORY_IDS[79]] == [90]


def test_score_threshold_is_inclusive_at_0_001():
    pipeline = YoloxPipeline(416)
    raw = raw_output()
    put_box(raw, 0, pipeline, (0.0, 0.0, 16.0, 16.0), 0, obj=0.5, cls=0.002)  # 0.001: kept
    put_box(raw, 100, pipeline, (200.0, 200.0, 216.0, 216.0), 0, obj=0.5, cls=0.0019)  # 0.00095: dropped
    assert len(pipeline.postprocess([raw], ImageMeta(416, 416))) == 1


def test_each_anchor_keeps_only_its_best_class():
    pipeline = YoloxPipeline(416)
    raw = raw_output()
    put_box(raw, 0, pipeline, (0.0, 0.0, 16.0, 16.0), 2, obj=1.0, cls=0.6)
    raw[0, 0, 5 + 5] = 0.5  # a second class, well above the threshold, on the same anchor
    detections = pipeline.postprocess([raw], ImageMeta(416, 416))
    assert detections.category_ids.tolist() == [3]


def test_nms_is_class_aware_at_iou_0_65():
    pipeline = YoloxPipeline(416)
    raw = raw_output()
    base = (100.0, 100.0, 200.0, 200.0)
    put_box(raw, 0, pipeline, base, 0, cls=0.9)
    put_box(raw, 1, pipeline, (100.0, 100.0, 200.0, 220.0), 0, cls=0.8)  # IoU 100/120 = 0.83: suppressed
    put_box(raw, 2, pipeline, (100.0, 100.0, 200.0, 220.0), 1, cls=0.7)  # same box, other class: kept
    put_box(raw, 3, pipeline, (100.0, 100.0, 200.0, 260.0), 0, cls=0.6)  # IoU 100/160 = 0.625 < 0.65: kept
    detections = pipeline.postprocess([raw], ImageMeta(416, 416))
    assert sorted(detections.scores.tolist()) == pytest.approx([0.6, 0.7, 0.9])


def test_no_box_clipping_like_the_official_evaluator():
    pipeline = YoloxPipeline(416)
    raw = raw_output()
    put_box(raw, 0, pipeline, (-8.0, -4.0, 24.0, 12.0), 0)
    detections = pipeline.postprocess([raw], ImageMeta(416, 416))
    np.testing.assert_allclose(detections.boxes[0], [-8.0, -4.0, 24.0, 12.0], atol=1e-4)


def test_output_of_the_wrong_size_is_explained():
    with pytest.raises(ValueError, match="3549"):
        YoloxPipeline(416).postprocess([raw_output(rows=8400)], ImageMeta(416, 416))


def test_decoder_lookup():
    assert isinstance(make_pipeline("yolox", 416), YoloxPipeline)
    with pytest.raises(BenchgenError, match="unknown decoder 'yolo-v99'; known: auto, ultralytics, .*yolox"):
        make_pipeline("yolo-v99", 640)
