"""The real trained YOLOX-Nano on the 80 real val2017 images: the whole pipeline, end to end.

A broken step (channel order, letterbox, grid decoding, scale-back, category ids) scores near 0;
the intact pipeline scores about 0.31 on this subset (25.8 on the full val2017, per YOLOX's README).
Inference runs once for the module.
"""

from __future__ import annotations

import json

import pytest

from benchgen.measure.accuracy.evaluate import evaluate_accuracy
from benchgen.measure.accuracy.coco_eval import STAT_NAMES
from tests.measure.builders import TINY80, YOLOX_NANO, pycocotools_score, require_shared


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("tiny80-cache")


@pytest.fixture(scope="module")
def nano(cache_dir):
    require_shared(TINY80, YOLOX_NANO)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BENCHGEN_CACHE_DIR", str(cache_dir))
        return evaluate_accuracy("yolox-nano", progress=False)


def test_map_is_near_the_expected_subset_value(nano):
    assert nano.metrics["map50_95"] == pytest.approx(30.7, abs=1.0)
    coco = nano.details["coco"]
    assert list(coco) == list(STAT_NAMES)
    assert coco["AP50"] > coco["AP"] > coco["AP_small"] > 0
    assert len(nano.details["coco_summary"]) == 12
    assert nano.details["images"] == 80 and not nano.details["from_cache"]
    assert nano.settings["dataset"] == "coco-val2017-tiny80/val2017 (80 images)"
    assert (nano.settings["score_threshold"], nano.settings["nms_iou"]) == (0.001, 0.65)


def test_detections_file_is_coco_results_with_coco_ids(nano):
    rows = json.loads(open(nano.details["detections_file"]).read())
    assert len(rows) == nano.details["detections"] > 0
    annotations = json.loads((TINY80 / "annotations" / "instances_val2017.json").read_text())
    assert {r["category_id"] for r in rows} <= {c["id"] for c in annotations["categories"]}
    assert {r["image_id"] for r in rows} <= {i["id"] for i in annotations["images"]}
    assert min(r["score"] for r in rows) >= 0.001


def test_rescoring_reads_the_cached_detections(nano, cache_dir, monkeypatch):
    monkeypatch.setenv("BENCHGEN_CACHE_DIR", str(cache_dir))
    again = evaluate_accuracy("yolox-nano", progress=False)
    assert again.details["from_cache"] and again.details["coco"] == nano.details["coco"]
    assert again.detections_key == nano.detections_key


def test_pycocotools_gives_the_same_12_numbers_for_the_real_detections(nano):
    """The oracle for the engine on a real detector's output: thousands of detections down to score 0.001."""
    rows = json.loads(open(nano.details["detections_file"]).read())
    annotations = json.loads((TINY80 / "annotations" / "instances_val2017.json").read_text())
    expected, summary = pycocotools_score(annotations, rows)
    measured = list(nano.details["coco"].values())
    assert max(abs(a - b) for a, b in zip(measured, expected)) <= 1e-6
    assert nano.details["coco_summary"] == summary.splitlines()
    assert nano.settings["coco_engine"].startswith("faster-coco-eval ")
    assert "faster-coco-eval" in nano.provenance.libraries
