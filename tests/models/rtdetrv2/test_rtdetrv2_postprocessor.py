"""The official post-processor: top-k over queries x classes of sigmoid scores, boxes to original pixels."""

from __future__ import annotations

import math

import torch

from benchgen.models.rtdetrv2.postprocessor import PostProcessor


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def test_topk_ranks_query_class_pairs_jointly():
    logits = torch.full((1, 4, 3), _logit(0.01))
    logits[0, 2, 1] = _logit(0.9)  # best pair
    logits[0, 0, 2] = _logit(0.8)
    logits[0, 2, 0] = _logit(0.7)  # same query again, another class: kept as a second detection
    logits[0, 3, 2] = _logit(0.6)
    boxes = torch.tensor([[[0.5, 0.5, 0.2, 0.4], [0.1, 0.1, 0.1, 0.1], [0.25, 0.75, 0.5, 0.5], [0.5, 0.5, 1.0, 1.0]]])
    sizes = torch.tensor([[200, 100]])  # [w, h]

    labels, xyxy, scores = PostProcessor(num_classes=3, num_top_queries=4)(logits, boxes, sizes)

    torch.testing.assert_close(scores, torch.tensor([[0.9, 0.8, 0.7, 0.6]]))
    assert labels.tolist() == [[1, 2, 0, 2]]
    assert labels.dtype == torch.int64
    expected = torch.tensor([[[0.0, 50.0, 100.0, 100.0],  # query 2: cx 0.25, cy 0.75, w 0.5, h 0.5 on 200x100
                              [80.0, 30.0, 120.0, 70.0],  # query 0
                              [0.0, 50.0, 100.0, 100.0],  # query 2 again
                              [0.0, 0.0, 200.0, 100.0]]])  # query 3
    torch.testing.assert_close(xyxy, expected)


def test_each_image_uses_its_own_size_and_boxes_are_not_clipped():
    logits = torch.full((2, 2, 2), -5.0)
    logits[:, 1, 0] = 5.0
    boxes = torch.tensor([[0.95, 0.5, 0.3, 0.2], [0.5, 0.5, 0.1, 0.1]]).expand(2, 2, 4)
    sizes = torch.tensor([[100, 50], [640, 480]])

    labels, xyxy, scores = PostProcessor(num_classes=2, num_top_queries=1)(logits, boxes, sizes)

    assert labels.tolist() == [[0], [0]]
    torch.testing.assert_close(xyxy[:, 0], torch.tensor([[45.0, 22.5, 55.0, 27.5], [288.0, 216.0, 352.0, 264.0]]))
    assert scores.shape == (2, 1)


def test_keeps_exactly_num_top_queries_without_a_score_threshold():
    logits = torch.full((1, 300, 80), -20.0)  # every sigmoid score ~2e-9: still all kept
    labels, xyxy, scores = PostProcessor(80, 300)(logits, torch.rand(1, 300, 4), torch.tensor([[640, 480]]))
    assert labels.shape == scores.shape == (1, 300) and xyxy.shape == (1, 300, 4)
    assert bool((labels >= 0).all() and (labels < 80).all())
    assert bool((scores[:, :-1] >= scores[:, 1:]).all())  # sorted, best first
