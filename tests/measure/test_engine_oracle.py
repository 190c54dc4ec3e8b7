"""faster-coco-eval, benchgen's scoring engine, against pycocotools, the oracle, on all 12 numbers.

Every published COCO mAP comes from pycocotools' COCOeval; the engine is only allowed to be faster.
The cases: the 80 real val2017 images of tiny80 (with their crowd regions) and detections built from
their ground truth with fixed-seed jitter; crafted edge cases (crowd regions, images without
detections or without objects, categories without objects, maxDets truncation with tied scores,
objects on the small/medium/large edges, a segmentation area far from the box's); random sets;
zero detections; a subset of the images. The real YOLOX-Nano detections are checked in
test_yolox_tiny80.py.
"""

from __future__ import annotations

import copy
import json

import pytest

from benchgen.measure.accuracy.coco_eval import STAT_NAMES, engine_label, ground_truth_coco, score_detections
from tests.measure.builders import TINY80, edge_case_coco, jittered_detections, pycocotools_score, random_coco, \
    require_shared

TOLERANCE = 1e-6


def engine_score(gt: dict, detections: list[dict], image_ids: list[int] | None = None):
    return score_detections(ground_truth_coco(copy.deepcopy(gt)), detections, image_ids)


def assert_agree(gt: dict, detections: list[dict], image_ids: list[int] | None = None) -> list[float]:
    expected, expected_summary = pycocotools_score(gt, detections, image_ids)
    score = engine_score(gt, detections, image_ids)
    assert len(score.stats) == len(expected) == len(STAT_NAMES)
    differences = {name: abs(a - b) for name, a, b in zip(STAT_NAMES, score.stats, expected)}
    assert max(differences.values()) <= TOLERANCE, differences
    assert score.summary == expected_summary
    return score.stats


@pytest.fixture(scope="module")
def tiny80():
    require_shared(TINY80)
    return json.loads((TINY80 / "annotations" / "instances_val2017.json").read_text())


@pytest.mark.parametrize("seed", [0, 1])
def test_tiny80_with_jittered_ground_truth(tiny80, seed):
    assert sum(a["iscrowd"] for a in tiny80["annotations"]) == 11  # the crowd rule is exercised
    stats = assert_agree(tiny80, jittered_detections(tiny80, seed))
    assert 0.2 < stats[0] < 0.9 and all(s >= 0 for s in stats)


def test_tiny80_subset_of_images(tiny80):
    ids = sorted(image["id"] for image in tiny80["images"])[:17]
    assert_agree(tiny80, jittered_detections(tiny80, 3), image_ids=ids)


def test_edge_cases():
    gt, detections = edge_case_coco()
    stats = assert_agree(gt, detections)
    named = dict(zip(STAT_NAMES, stats))
    assert named["AR_1"] < named["AR_10"] <= named["AR_100"]  # maxDets truncation is visible


def test_edge_cases_each_image_alone():
    """Per image, the rules meet fewer other objects: a wrong one cannot hide in the average."""
    gt, detections = edge_case_coco()
    for image in gt["images"]:
        assert_agree(gt, detections, image_ids=[image["id"]])


def test_edge_cases_in_another_file_order():
    """Tied scores are broken by file order (detection id) in both engines."""
    gt, detections = edge_case_coco()
    assert_agree(gt, detections[::-1])


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_random_sets(seed):
    gt, detections = random_coco(seed)
    assert_agree(gt, detections)


def test_many_detections_per_image_are_cut_at_100():
    gt, detections = random_coco(21, images=10, per_image=180)
    assert max(sum(d["image_id"] == i["id"] for d in detections) for i in gt["images"]) > 100
    assert_agree(gt, detections)


def test_no_detections_score_zero_in_both(tiny80):
    stats = assert_agree(tiny80, [])
    assert stats == [0.0] * 12  # tiny80 has small, medium and large objects: no -1


def test_no_detections_where_a_size_has_no_objects_is_minus_one():
    gt, _ = edge_case_coco()
    gt["annotations"] = [a for a in gt["annotations"] if a["area"] > 96 ** 2]  # large objects only
    stats = assert_agree(gt, [])
    named = dict(zip(STAT_NAMES, stats))
    assert named["AP_small"] == named["AP_medium"] == -1.0 and named["AP_large"] == 0.0


def test_the_detections_given_are_not_modified():
    gt, detections = edge_case_coco()
    before = copy.deepcopy(detections)
    engine_score(gt, detections)
    assert detections == before


def test_engine_is_named_with_its_version():
    name, version = engine_label().split(" ")
    assert name == "faster-coco-eval" and version[0].isdigit()
