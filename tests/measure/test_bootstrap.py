"""The bootstrap interval of a subset's mAP: re-accumulating per-image evaluations is exact.

A resample re-accumulates the engine's per-image evaluations with the drawn images repeated; the
reference is the plain way, a ground truth and detections in which every drawn image is a
renumbered copy, scored from scratch by pycocotools (the oracle) and by the engine.
"""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from benchgen.measure.accuracy.bootstrap import PerImageEvaluation, bootstrap_map
from benchgen.measure.accuracy.coco_eval import ground_truth_coco, score_detections
from benchgen.results.schema import MetricInterval
from tests.measure.builders import TINY80, edge_case_coco, jittered_detections, pycocotools_score, random_coco, \
    require_shared


def renumbered(gt: dict, detections: list[dict], image_ids: list[int]) -> tuple[dict, list[dict]]:
    """Each drawn image as a copy of its own (new id), with its objects and detections."""
    images = {image["id"]: image for image in gt["images"]}
    anns, dets = {}, {}
    for a in gt["annotations"]:
        anns.setdefault(a["image_id"], []).append(a)
    for d in detections:
        dets.setdefault(d["image_id"], []).append(d)
    out = {"images": [], "annotations": [], "categories": gt["categories"]}
    out_dets = []
    for new_id, old in enumerate(image_ids, start=1):
        out["images"].append({**images[old], "id": new_id})
        for a in anns.get(old, []):
            out["annotations"].append({**a, "id": len(out["annotations"]) + 1, "image_id": new_id})
        out_dets += [{**d, "image_id": new_id} for d in dets.get(old, [])]
    return out, out_dets


@pytest.mark.parametrize("make", [lambda: random_coco(4, images=30), edge_case_coco])
def test_a_resample_scores_as_renumbered_copies_would(make):
    gt, detections = make()
    ids = sorted(image["id"] for image in gt["images"])
    evaluation = PerImageEvaluation(ground_truth_coco(copy.deepcopy(gt)), detections, ids)
    whole = score_detections(ground_truth_coco(copy.deepcopy(gt)), detections, ids).stats[0]
    assert evaluation.score(np.arange(len(ids))) == pytest.approx(whole, abs=1e-12)
    rng = np.random.default_rng(7)
    for _ in range(3):
        draw = rng.integers(0, len(ids), len(ids))
        copies, copy_dets = renumbered(gt, detections, [evaluation.image_ids[i] for i in draw])
        oracle = pycocotools_score(copies, copy_dets)[0][0]
        engine = score_detections(ground_truth_coco(copies), copy_dets).stats[0]
        assert evaluation.score(draw) == pytest.approx(oracle, abs=1e-9)
        assert evaluation.score(draw) == pytest.approx(engine, abs=1e-12)


def test_the_interval_is_fixed_by_its_seed_and_brackets_the_figure():
    gt, detections = random_coco(5, images=40)
    coco = ground_truth_coco(gt)
    ids = sorted(image["id"] for image in gt["images"])
    first, again = bootstrap_map(coco, detections, ids, resamples=60), bootstrap_map(coco, detections, ids, resamples=60)
    assert first == again
    value = score_detections(coco, detections, ids).stats[0] * 100
    assert first.low < value < first.high and first.images == 40 and first.resamples == 60
    other = bootstrap_map(coco, detections, ids, resamples=60, seed=1)
    assert (other.low, other.high) != (first.low, first.high)
    MetricInterval(**first.as_dict())  # what results store validates


def test_perfect_detections_have_no_spread():
    gt, _ = random_coco(6, images=20)
    truth = [{"image_id": a["image_id"], "category_id": a["category_id"], "bbox": a["bbox"], "score": 0.9}
             for a in gt["annotations"] if not a["iscrowd"]]
    interval = bootstrap_map(ground_truth_coco(gt), truth, sorted(i["id"] for i in gt["images"]), resamples=20)
    assert interval.low == interval.high == pytest.approx(100.0)


def test_on_tiny80_a_jittered_detector_is_uncertain_by_several_ap():
    require_shared(TINY80)
    gt = json.loads((TINY80 / "annotations" / "instances_val2017.json").read_text())
    interval = bootstrap_map(ground_truth_coco(gt), jittered_detections(gt, 0), sorted(i["id"] for i in gt["images"]))
    assert interval.high - interval.low > 3 and interval.images == 80 and interval.resamples == 300


def test_an_interval_must_be_ordered():
    with pytest.raises(ValueError, match="above high"):
        MetricInterval(low=3.0, high=2.0, method="x")


def test_a_paired_difference_of_a_set_with_itself_is_exactly_zero():
    from benchgen.measure.accuracy.bootstrap import paired_difference

    gt, detections = random_coco(8, images=30)
    ids = sorted(image["id"] for image in gt["images"])
    paired = paired_difference(ground_truth_coco(gt), detections, detections, ids, resamples=40)
    assert (paired.difference, paired.low, paired.high, paired.excludes_zero) == (0.0, 0.0, 0.0, False)


def test_a_paired_cost_is_the_difference_of_the_two_maps_and_excludes_zero_when_it_is_real():
    from benchgen.measure.accuracy.bootstrap import paired_difference

    gt, detections = random_coco(9, images=40)
    coco = ground_truth_coco(gt)
    ids = sorted(image["id"] for image in gt["images"])
    worse = [{**d, "score": d["score"] * 0.5} if d["image_id"] % 2 else d for d in detections]
    worse = [d for i, d in enumerate(worse) if i % 3]  # a third of the detections lost
    paired = paired_difference(coco, detections, worse, ids, resamples=100)
    expected = (score_detections(coco, worse, ids).stats[0] - score_detections(coco, detections, ids).stats[0]) * 100
    assert paired.difference == pytest.approx(expected, abs=1e-3)
    assert paired.high < 0 and paired.excludes_zero and paired.low <= paired.difference <= paired.high
    assert paired.as_dict()["method"] == "paired percentile bootstrap over images"
    assert paired == paired_difference(coco, detections, worse, ids, resamples=100)  # fixed by its seed
