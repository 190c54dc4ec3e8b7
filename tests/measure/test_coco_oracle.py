"""The evaluation path scored against answers known in advance.

An oracle "network" returns each image's ground truth encoded as YOLOX raw output in
network-input coordinates. Everything else is real: JPEG decoding and letterboxing in the worker
pool, YOLOX decoding, NMS, the scale-back to original pixels, class index -> COCO id, the COCO
results format and COCOeval. Perfect answers must score 1.0; crafted errors must score what the
COCO definition gives by hand.
"""

from __future__ import annotations

import hashlib
import math

import cv2
import numpy as np
import pytest

from benchgen.decoders.yolox import YoloxPipeline, make_grids
from benchgen.measure.accuracy.coco_eval import STAT_NAMES, score_detections, to_coco_results
from benchgen.measure.accuracy.dataset import load_dataset
from benchgen.measure.accuracy.inference import run_images
from benchgen.pipeline import COCO_CATEGORY_IDS, Detections


class OracleRunner:
    """Recognises each image by its pre-processed tensor and answers with its (edited) ground truth."""

    def __init__(self, dataset, pipeline, edit=lambda annotation, box: box):
        self.pipeline, self.edit = pipeline, edit
        self.cells, self.strides = make_grids(pipeline.input_size)
        self.by_tensor = {}
        for image_id, path in dataset.files.items():
            feeds, meta = pipeline.preprocess(cv2.imread(str(path)))
            self.by_tensor[self._hash(feeds)] = (meta, dataset.coco.imgToAnns[image_id])
        self.calls = 0

    @staticmethod
    def _hash(feeds):
        return hashlib.sha256(feeds["images"].tobytes()).hexdigest()

    def run(self, feeds):
        self.calls += 1
        meta, annotations = self.by_tensor[self._hash(feeds)]
        raw = np.zeros((1, len(self.cells), 85), dtype=np.float32)
        for row, annotation in enumerate(annotations):
            x, y, w, h = annotation["bbox"]
            box = self.edit(annotation, [x, y, x + w, y + h])
            if box is None:
                continue
            # original pixels -> network input, the forward of what postprocess undoes
            x1, x2 = (np.array(box[0::2]) * meta.scale_x + meta.pad_x).tolist()
            y1, y2 = (np.array(box[1::2]) * meta.scale_y + meta.pad_y).tolist()
            stride = self.strides[row, 0]
            raw[0, row, :4] = [(x1 + x2) / 2 / stride - self.cells[row, 0], (y1 + y2) / 2 / stride - self.cells[row, 1],
                               math.log((x2 - x1) / stride), math.log((y2 - y1) / stride)]
            raw[0, row, 4] = 1.0
            raw[0, row, 5 + COCO_CATEGORY_IDS.index(annotation["category_id"])] = 0.9 - 0.001 * row
        return [raw]


def evaluate(synthetic_coco, edit=lambda annotation, box: box, max_images=None):
    dataset = load_dataset(synthetic_coco.images_dir, synthetic_coco.annotations, max_images=max_images)
    pipeline = YoloxPipeline(416)
    runner = OracleRunner(dataset, pipeline, edit)
    results = run_images(runner, pipeline, dataset, workers=2, progress=False)
    assert runner.calls == len(dataset.image_ids)
    return score_detections(dataset.coco, results, dataset.image_ids), results


def test_ground_truth_through_the_real_transforms_scores_1(synthetic_coco):
    score, results = evaluate(synthetic_coco)
    assert len(results) == 24
    named = score.named()
    for name in ("AP", "AP50", "AP75", "AR_100"):
        assert named[name] == pytest.approx(1.0), name
    assert len(score.summary.splitlines()) == 12 and len(score.stats) == len(STAT_NAMES) == 12


def test_every_detection_lands_on_its_annotation_in_original_pixels(synthetic_coco):
    _, results = evaluate(synthetic_coco)
    truth = sorted((a["image_id"], a["category_id"], *a["bbox"]) for a in synthetic_coco.data["annotations"])
    found = sorted((r["image_id"], r["category_id"], *r["bbox"]) for r in results)
    np.testing.assert_allclose(np.array(found), np.array(truth), atol=0.01)


def test_missing_half_of_every_category_scores_51_of_101(synthetic_coco):
    """Each category has two objects; detecting one gives recall 1/2 at precision 1.

    COCO interpolates precision at 101 recall points 0, 0.01, ..., 1: the 51 points up to 0.5 have
    precision 1, the other 50 have 0, so AP = 51/101 at every IoU threshold and for every category.
    """
    first = {}
    for annotation in sorted(synthetic_coco.data["annotations"], key=lambda a: a["id"]):
        first.setdefault(annotation["category_id"], annotation["id"])
    score, _ = evaluate(synthetic_coco, edit=lambda a, box: box if first[a["category_id"]] == a["id"] else None)
    assert score.stats[0] == pytest.approx(51 / 101)
    assert score.named()["AR_100"] == pytest.approx(0.5)


def test_boxes_shifted_to_iou_0_725_count_at_five_of_ten_thresholds(synthetic_coco):
    """Shifting a w-wide box by dx gives IoU (w - dx) / (w + dx); dx = w * 0.275 / 1.725 makes it 0.725.

    That matches at IoU 0.50, 0.55, 0.60, 0.65, 0.70 and misses at 0.75 ... 0.95: AP50-95 = 5/10,
    AP50 = 1, AP75 = 0.
    """
    def shift(annotation, box):
        dx = (box[2] - box[0]) * 0.275 / 1.725
        return [box[0] + dx, box[1], box[2] + dx, box[3]]

    score, _ = evaluate(synthetic_coco, edit=shift)
    named = score.named()
    assert named["AP"] == pytest.approx(0.5)
    assert named["AP50"] == pytest.approx(1.0)
    assert named["AP75"] == pytest.approx(0.0)


def test_wrong_category_ids_score_zero(synthetic_coco):
    """A class-index/category-id mix-up (index used as id) must not go unnoticed."""
    dataset = load_dataset(synthetic_coco.images_dir, synthetic_coco.annotations)
    results = []
    for image_id in dataset.image_ids:
        for annotation in dataset.coco.imgToAnns[image_id]:
            x, y, w, h = annotation["bbox"]
            index = COCO_CATEGORY_IDS.index(annotation["category_id"])
            results += to_coco_results(image_id, Detections([[x, y, x + w, y + h]], [0.9], [index]))
    assert score_detections(dataset.coco, results, dataset.image_ids).stats[0] == 0.0


def test_a_subset_is_scored_on_its_own_images(synthetic_coco):
    """With --max-images the other images' objects must not count as missed."""
    score, results = evaluate(synthetic_coco, max_images=2)
    assert {r["image_id"] for r in results} == {1000, 1007}
    assert score.stats[0] == pytest.approx(1.0)


def test_no_detections_score_zero_instead_of_crashing(synthetic_coco):
    dataset = load_dataset(synthetic_coco.images_dir, synthetic_coco.annotations)
    score = score_detections(dataset.coco, [], dataset.image_ids)
    assert score.stats[0] == 0.0 and score.named()["AR_100"] == 0.0
    assert len(score.summary.splitlines()) == 12


def test_results_are_xywh_with_coco_ids():
    rows = to_coco_results(7, Detections([[10.0, 20.0, 40.0, 60.0]], [0.5], [90]))
    assert rows == [{"image_id": 7, "category_id": 90, "bbox": [10.0, 20.0, 30.0, 40.0], "score": 0.5}]
