"""NumPy NMS: torchvision semantics on crafted boxes, and agreement with a brute-force reference."""

from __future__ import annotations

import numpy as np
import pytest

from benchgen.postprocess import batched_nms, box_iou, multiclass_nms, nms


def _reference_batched_nms(boxes, scores, classes, thr):
    """Textbook greedy NMS, one pair at a time, in pure Python."""
    def iou(a, b):
        iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
        ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
        inter = iw * ih
        union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
        return inter / union if union > 0 else 0.0

    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    keep = []
    for i in order:
        if all(classes[k] != classes[i] or iou(boxes[k], boxes[i]) <= thr for k in keep):
            keep.append(i)
    return keep


def _random_boxes(n, seed):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 100, (n, 2))
    wh = rng.uniform(5, 40, (n, 2))
    boxes = np.concatenate([xy, xy + wh], axis=1).astype(np.float32)
    scores = rng.uniform(0, 1, n).astype(np.float32)
    scores[::7] = scores[0]  # ties must not make the order ambiguous
    return boxes, scores, rng.integers(0, 4, n)


def test_iou_of_crafted_boxes():
    box = np.array([0, 0, 10, 10], np.float32)
    others = np.array([[0, 0, 10, 10], [0, 0, 10, 5], [5, 0, 15, 10], [20, 20, 30, 30], [3, 3, 3, 3]], np.float32)
    np.testing.assert_allclose(box_iou(box, others), [1.0, 0.5, 1 / 3, 0.0, 0.0], rtol=1e-6)
    # a degenerate box against itself: empty union counts as no overlap, not NaN
    assert box_iou(others[4], others[4:]).tolist() == [0.0]


@pytest.mark.parametrize(("height", "kept"), [(7.0, True), (7.01, False), (6.99, True)])
def test_suppression_is_strictly_above_the_threshold(height, kept):
    # IoU with the first box is height / 10: 0.7 (not above 0.7, kept), 0.701 (suppressed), 0.699 (kept)
    boxes = np.array([[0, 0, 10, 10], [0, 0, 10, height]], np.float32)
    keep = nms(boxes, np.array([0.9, 0.8], np.float32), 0.7)
    assert keep.tolist() == ([0, 1] if kept else [0])


def test_classes_never_suppress_each_other():
    boxes = np.array([[0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 10]], np.float32)
    scores = np.array([0.5, 0.9, 0.7], np.float32)
    assert batched_nms(boxes, scores, np.array([1, 2, 1]), 0.5).tolist() == [1, 2]
    assert batched_nms(boxes, scores, np.array([0, 0, 0]), 0.5).tolist() == [1]


def test_result_is_ordered_by_score_with_stable_ties():
    boxes = np.array([[0, 0, 1, 1], [5, 5, 6, 6], [10, 10, 11, 11], [20, 20, 21, 21]], np.float32)
    scores = np.array([0.3, 0.6, 0.6, 0.9], np.float32)
    assert batched_nms(boxes, scores, np.array([2, 1, 0, 1]), 0.5).tolist() == [3, 1, 2, 0]


@pytest.mark.parametrize("seed", range(5))
def test_agrees_with_brute_force_greedy_nms(seed):
    boxes, scores, classes = _random_boxes(120, seed)
    expected = _reference_batched_nms(boxes.tolist(), scores.tolist(), classes.tolist(), 0.45)
    assert batched_nms(boxes, scores, classes, 0.45).tolist() == expected


@pytest.mark.parametrize("max_keep", [1, 5, 17])
def test_early_stop_equals_truncating_the_full_result(max_keep):
    boxes, scores, classes = _random_boxes(300, seed=11)
    full = batched_nms(boxes, scores, classes, 0.3)
    assert batched_nms(boxes, scores, classes, 0.3, max_keep=max_keep).tolist() == full[:max_keep].tolist()


def test_empty_input():
    assert batched_nms(np.zeros((0, 4)), np.zeros(0), np.zeros(0), 0.5).shape == (0,)
    out_boxes, out_scores, out_classes = multiclass_nms(np.zeros((0, 4)), np.zeros((0, 80)), 0.05, 0.7, 100)
    assert out_boxes.shape == (0, 4) and out_scores.shape == (0,) and out_classes.shape == (0,)


def test_mismatched_lengths_are_rejected():
    with pytest.raises(ValueError, match="same length"):
        batched_nms(np.zeros((2, 4)), np.zeros(2), np.zeros(3), 0.5)
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        nms(np.zeros((2, 5)), np.zeros(2), 0.5)


def test_multiclass_threshold_per_class_nms_and_top_k():
    boxes = np.array([[0, 0, 10, 10], [0, 0, 10, 9], [50, 50, 60, 60]], np.float32)
    class_scores = np.array([
        [0.9, 0.0, 0.0],    # box 0: class 0
        [0.8, 0.6, 0.0],    # box 1: class 0 (suppressed by box 0, IoU 0.9), class 1 (kept)
        [0.0, 0.05, 0.7],   # box 2: class 2; class 1 exactly at the threshold
    ], np.float32)
    b, s, c = multiclass_nms(boxes, class_scores, 0.05, 0.7, 100)
    np.testing.assert_allclose(s, [0.9, 0.7, 0.6])
    assert c.tolist() == [0, 2, 1] and c.dtype == np.int64
    np.testing.assert_array_equal(b, boxes[[0, 2, 1]])

    b_incl, s_incl, c_incl = multiclass_nms(boxes, class_scores, 0.05, 0.7, 100, inclusive=True)
    assert c_incl.tolist() == [0, 2, 1, 1] and s_incl[-1] == pytest.approx(0.05)
    np.testing.assert_array_equal(b_incl[-1], boxes[2])  # one box, kept for two classes

    _, s_top, c_top = multiclass_nms(boxes, class_scores, 0.05, 0.7, 2)
    assert c_top.tolist() == [0, 2]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_capped_single_pass_equals_per_class_nms_then_the_top(seed):
    """batched_nms with max_keep walks all classes at once and stops early; it must keep what
    per-class NMS, sorted and cut at max_keep, keeps (ties in score included)."""
    rng = np.random.default_rng(seed)
    n = 3000
    xy = rng.uniform(0, 300, (n, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(5, 80, (n, 2))], axis=1).astype(np.float32)
    scores = np.round(rng.uniform(0, 1, n), 2).astype(np.float32)  # many ties
    classes = rng.integers(0, 80, n)
    full = batched_nms(boxes, scores, classes, 0.6)
    for cap in (1, 100, 300, len(full), n):
        assert batched_nms(boxes, scores, classes, 0.6, max_keep=cap).tolist() == full[:cap].tolist()
