"""Pre- and post-processing follow the official evaluation and round-trip coordinates."""

from __future__ import annotations

import cv2
import numpy as np
import onnxruntime as ort
import pytest

from benchgen.pipeline import COCO_CATEGORY_IDS, Detections
from benchgen.models.damoyolo import make_pipeline


def _image(h: int, w: int, seed: int = 0) -> np.ndarray:
    """A BGR image whose three channels differ and are never zero (so padding is recognisable)."""
    rng = np.random.default_rng(seed)
    img = rng.integers(1, 256, (h, w, 3), dtype=np.uint8)
    img[..., 0] = 10  # blue
    img[..., 2] = 200  # red
    return img


def _raw_outputs(boxes_in_input: list[list[float]], classes: list[int], scores: list[float]):
    """Network outputs with the given detections and every other anchor at score 0."""
    out_scores = np.zeros((1, 8400, 80), dtype=np.float32)
    out_boxes = np.tile(np.array([0, 0, 1, 1], dtype=np.float32), (1, 8400, 1))
    for i, (box, cls, score) in enumerate(zip(boxes_in_input, classes, scores)):
        out_boxes[0, i] = box
        out_scores[0, i, cls] = score
    return [out_scores, out_boxes]


def test_unknown_variant_is_rejected():
    with pytest.raises(KeyError, match="damo-yolo-q"):
        make_pipeline("damo-yolo-q")


@pytest.mark.parametrize(("h", "w", "new_h", "new_w"),
                         [(480, 640, 480, 640), (800, 400, 640, 320), (427, 640, 427, 640), (333, 500, 426, 640)])
def test_preprocess_letterboxes_rgb_0_255_at_top_left(h, w, new_h, new_w):
    pipeline = make_pipeline("damo-yolo-s")
    image = _image(h, w)
    feeds, meta = pipeline.preprocess(image)

    assert list(feeds) == ["images"]
    x = feeds["images"]
    assert x.shape == (1, 3, 640, 640) and x.dtype == np.float32
    # keep-ratio resize, int() truncation of the scaled size, bilinear, RGB, no normalisation
    expected = cv2.resize(image[..., ::-1], (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    np.testing.assert_array_equal(x[0, :, :new_h, :new_w], expected.transpose(2, 0, 1).astype(np.float32))
    assert np.all(x[0, 0, :new_h, :new_w] == 200) and np.all(x[0, 2, :new_h, :new_w] == 10)
    # zero padding on the bottom and the right only
    assert not x[0, :, new_h:, :].any() and not x[0, :, :, new_w:].any()
    assert (meta.orig_width, meta.orig_height) == (w, h)
    assert (meta.scale_x, meta.scale_y) == (new_w / w, new_h / h)
    assert (meta.pad_x, meta.pad_y) == (0, 0)


def test_preprocess_rejects_non_bgr_images():
    with pytest.raises(ValueError, match="uint8 BGR"):
        make_pipeline("damo-yolo-t").preprocess(np.zeros((10, 10), dtype=np.uint8))


@pytest.mark.parametrize(("h", "w"), [(333, 500), (800, 401), (640, 640), (100, 1000)])
def test_boxes_round_trip_to_original_coordinates(h, w):
    pipeline = make_pipeline("damo-yolo-m")
    _, meta = pipeline.preprocess(_image(h, w))
    original = np.array([[0.1 * w, 0.2 * h, 0.5 * w, 0.9 * h], [0.6 * w, 0.05 * h, 0.95 * w, 0.3 * h]], np.float32)
    sx, sy = meta.scale_x, meta.scale_y
    in_input = original * np.array([sx, sy, sx, sy], dtype=np.float32)

    det = pipeline.postprocess(_raw_outputs(in_input.tolist(), [0, 79], [0.9, 0.6]), meta)

    assert isinstance(det, Detections) and len(det) == 2
    np.testing.assert_allclose(det.boxes, original, rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(det.scores, [0.9, 0.6])
    assert det.category_ids.tolist() == [COCO_CATEGORY_IDS[0], COCO_CATEGORY_IDS[79]] == [1, 90]


def test_postprocess_applies_official_thresholds():
    pipeline = make_pipeline("damo-yolo-t")
    _, meta = pipeline.preprocess(_image(640, 640))
    boxes = [[0, 0, 100, 100], [0, 0, 100, 90], [0, 0, 100, 60], [200, 200, 300, 300], [400, 400, 500, 500]]
    # IoU(b0, b1) = 0.9 > 0.7: suppressed; IoU(b0, b2) = 0.6: kept; 0.05 itself is not above the threshold
    det = pipeline.postprocess(_raw_outputs(boxes, [3, 3, 3, 5, 5], [0.9, 0.8, 0.7, 0.05, 0.0501]), meta)
    np.testing.assert_allclose(det.scores, [0.9, 0.7, 0.0501], rtol=1e-6)
    assert det.category_ids.tolist() == [COCO_CATEGORY_IDS[3], COCO_CATEGORY_IDS[3], COCO_CATEGORY_IDS[5]]


def test_postprocess_keeps_at_most_100_boxes_best_first():
    pipeline = make_pipeline("damo-yolo-t")
    _, meta = pipeline.preprocess(_image(640, 640))
    # 150 disjoint boxes of one class: NMS keeps all, the cap keeps the 100 best
    boxes = [[10 * (i % 60), 10 * (i // 60), 10 * (i % 60) + 8, 10 * (i // 60) + 8] for i in range(150)]
    scores = list(np.linspace(0.1, 0.99, 150))
    det = pipeline.postprocess(_raw_outputs(boxes, [7] * 150, scores), meta)
    assert len(det) == 100
    np.testing.assert_allclose(det.scores, sorted(scores, reverse=True)[:100], rtol=1e-6)


def test_pipeline_drives_the_exported_model(tiny_onnx):
    pipeline = make_pipeline("damo-yolo-t")
    session = ort.InferenceSession(str(tiny_onnx), providers=["CPUExecutionProvider"])
    feeds, meta = pipeline.preprocess(_image(375, 500, seed=3))
    outputs = session.run(["scores", "boxes"], feeds)
    det = pipeline.postprocess(outputs, meta)
    assert 0 < len(det) <= 100
    assert np.all(det.scores > 0.05) and np.all(np.diff(det.scores) <= 0)
    assert set(det.category_ids.tolist()) <= set(COCO_CATEGORY_IDS)
