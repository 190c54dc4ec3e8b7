"""Reading and checking a detections file (COCO results format) before it is scored.

Every fault names the file, the first bad entry, how many share the fault and the fix; pycocotools
would crash on some of these and silently mis-score others.
"""

from __future__ import annotations

import copy
import json
import re

import pytest

from benchgen.errors import DatasetError, DetectionsError
from benchgen.measure.accuracy.detections_file import score_file
from tests.measure.builders import edge_case_coco, pycocotools_score


@pytest.fixture
def files(tmp_path):
    gt, detections = edge_case_coco()
    gt_path, dets_path = tmp_path / "instances.json", tmp_path / "dets.json"
    gt_path.write_text(json.dumps(gt))
    dets_path.write_text(json.dumps(detections))
    return gt, detections, gt_path, dets_path


def test_a_file_scores_what_pycocotools_gives_over_every_annotated_image(files):
    gt, detections, gt_path, dets_path = files
    scored = score_file(dets_path, gt_path)
    expected, summary = pycocotools_score(gt, detections)
    assert max(abs(a - b) for a, b in zip(scored.score.stats, expected)) <= 1e-6
    assert scored.score.summary == summary
    assert (scored.images, scored.images_with_detections, scored.detections) == (7, 5, len(detections))
    assert scored.engine.startswith("faster-coco-eval ")
    doc = scored.as_dict()
    assert list(doc["coco"]) == ["AP", "AP50", "AP75", "AP_small", "AP_medium", "AP_large",
                                 "AR_1", "AR_10", "AR_100", "AR_small", "AR_medium", "AR_large"]
    assert len(doc["coco_summary"]) == 12 and json.loads(json.dumps(doc)) == doc


def test_extra_keys_of_a_detection_do_not_change_its_score(files):
    """Other tools write id, area, segmentation, even ignore/iscrowd: COCO's results format ignores them."""
    gt, detections, gt_path, dets_path = files
    clean = score_file(dets_path, gt_path).score.stats
    noisy = [dict(d, id=0, area=-5, iscrowd=1, ignore=1, segmentation=[]) for d in detections]
    dets_path.write_text(json.dumps(noisy))
    assert score_file(dets_path, gt_path).score.stats == clean


def test_an_empty_list_scores_zero(files):
    gt, _, gt_path, dets_path = files
    dets_path.write_text("[]")
    scored = score_file(dets_path, gt_path)
    assert scored.detections == 0
    assert max(abs(a - b) for a, b in zip(scored.score.stats, pycocotools_score(gt, [])[0])) <= 1e-6
    assert set(scored.score.stats) <= {0.0, -1.0}


def _edit(detections, index, **change):
    edited = copy.deepcopy(detections)
    edited[index].update(change)
    return edited


def _without(detections, index, key):
    edited = copy.deepcopy(detections)
    del edited[index][key]
    return edited


NAN = float("nan")

#: (id, what the file holds given the good detections, fragments of the message)
DETECTION_CASES = [
    ("not-json", lambda d: "image_id,score\n1,0.5", ["not a JSON file", "COCO's results format"]),
    ("annotation-file", lambda d: edge_case_coco()[0], ["is a COCO annotation file", "pass it as --annotations"]),
    ("wrapped-in-a-dict", lambda d: {"detections": d}, ["is a JSON object, not a list",
                                                          "its key 'detections' holds a list"]),
    ("a-number", lambda d: 3, ["is a JSON int, not a list"]),
    ("entry-not-object", lambda d: d[:5] + [[1, 2, 3]] + d[5:], ["detection 5 [1, 2, 3] is not a JSON object"]),
    ("missing-score", lambda d: _without(d, 3, "score"), ["detection 3", "lacks 'score'",
                                                          "needs image_id, category_id, bbox, score"]),
    ("string-image-id", lambda d: _edit(d, 2, image_id="2"), ["detection 2", "image_id that is not an integer"]),
    ("float-category", lambda d: _edit(d, 4, category_id=1.0), ["category_id that is not an integer"]),
    ("nan-score", lambda d: _edit(d, 1, score=NAN), ["detection 1", "score that is not a finite number"]),
    ("null-score", lambda d: _edit(d, 1, score=None), ["score that is not a finite number"]),
    ("bbox-of-3", lambda d: _edit(d, 6, bbox=[1, 2, 3]), ["detection 6", "bbox that is not [x, y, width, height]"]),
    ("bbox-infinite", lambda d: _edit(d, 6, bbox=[1, 2, float("inf"), 4]), ["bbox that is not"]),
    ("bbox-string", lambda d: _edit(d, 6, bbox="1 2 3 4"), ["bbox that is not"]),
    ("bbox-bool", lambda d: _edit(d, 6, bbox=[1, 2, True, 4]), ["bbox that is not"]),
    ("negative-width", lambda d: _edit(d, 0, bbox=[100, 100, -20, 30]), ["detection 0", "negative width or height",
                                                                          "not two corners"]),
    ("unknown-image", lambda d: _edit(d, 7, image_id=999), ["detection 7", "is of image 999", "does not list",
                                                            "image ids not in it: 999 (1 in all)", "images the detector ran on"]),
    ("unknown-category", lambda d: _edit(d, 8, category_id=91), ["detection 8", "category_id 91", "does not list",
                                                                 "'categories'"]),
]


@pytest.mark.parametrize("case", DETECTION_CASES, ids=[c[0] for c in DETECTION_CASES])
def test_a_bad_detections_file_is_named_with_its_first_bad_entry(files, case):
    _, detections, gt_path, dets_path = files
    content = case[1](detections)
    dets_path.write_text(content if isinstance(content, str) else json.dumps(content))
    with pytest.raises(DetectionsError) as info:
        score_file(dets_path, gt_path)
    message = str(info.value)
    assert message.startswith(str(dets_path)) and "\n" not in message
    for fragment in case[2]:
        assert fragment in message, (fragment, message)


def test_how_many_entries_share_the_fault_is_said(files):
    _, detections, gt_path, dets_path = files
    dets_path.write_text(json.dumps([dict(d, image_id=d["image_id"] + 1000) for d in detections]))
    with pytest.raises(DetectionsError, match=rf"\({len(detections)} of {len(detections)} detections\)"):
        score_file(dets_path, gt_path)


def test_class_indices_written_as_coco_ids_are_recognised(tmp_path):
    """The usual mistake: 0-79 instead of COCO's ids 1-90."""
    from tests.measure.builders import random_coco

    gt, detections = random_coco(3, images=5, per_image=5)
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "dets.json").write_text(json.dumps([dict(d, category_id=i % 80) for i, d in enumerate(detections)]))
    with pytest.raises(DetectionsError, match="class index 0-79 written as the id"):
        score_file(tmp_path / "dets.json", tmp_path / "gt.json")


def test_missing_files(tmp_path, files):
    _, _, gt_path, dets_path = files
    with pytest.raises(DetectionsError, match=re.escape(f"{tmp_path / 'nope.json'}: detections file not found")):
        score_file(tmp_path / "nope.json", gt_path)
    with pytest.raises(DetectionsError, match="is a directory"):
        score_file(tmp_path, gt_path)
    with pytest.raises(DatasetError, match=re.escape(f"{tmp_path / 'gt.json'}: annotation file not found; pass "
                                                     "--annotations FILE")):
        score_file(dets_path, tmp_path / "gt.json")


def _gt_edit(change):
    def edit(gt):
        gt = copy.deepcopy(gt)
        change(gt)
        return gt
    return edit


def _set(collection, index, **values):
    return _gt_edit(lambda gt: gt[collection][index].update(values))


#: faults of the annotation file that COCOeval would crash on or silently mis-score
ANNOTATION_CASES = [
    ("no-area", _gt_edit(lambda gt: gt["annotations"][0].pop("area")),
     ["lacks 'area'", "small/medium/large", "width * height"]),
    ("id-zero", _set("annotations", 2, id=0), ["has id 0", "'unmatched'", "renumber the annotations from 1"]),
    ("duplicate-id", _set("annotations", 2, id=1), ["repeats id 1", "must be unique"]),
    ("unlisted-image", _set("annotations", 2, image_id=77), ["refers to image 77", "does not list"]),
    ("unlisted-category", _set("annotations", 2, category_id=77), ["has category 77", "does not list"]),
    ("list-as-image-id", _set("annotations", 2, image_id=[1]), ["refers to image [1]", "does not list"]),
    ("string-category", _set("annotations", 2, category_id="1"), ["has category '1'", "does not list"]),
    ("bad-bbox", _set("annotations", 2, bbox=[1, 2, 3]), ["bbox that is not [x, y, width, height]"]),
    ("nan-area", _set("annotations", 2, area=NAN), ["area that is not a finite number"]),
    ("crowd-2", _set("annotations", 2, iscrowd=2), ["iscrowd that is neither 0 nor 1"]),
    ("image-without-id", _gt_edit(lambda gt: gt["images"][0].pop("id")), ["image entry", "has no integer id"]),
    ("no-annotations-list", _gt_edit(lambda gt: gt.pop("annotations")), ["no list annotations"]),
]


@pytest.mark.parametrize("case", ANNOTATION_CASES, ids=[c[0] for c in ANNOTATION_CASES])
def test_a_bad_annotation_file_is_named_before_the_detections_are_read(files, case):
    gt, _, gt_path, dets_path = files
    gt_path.write_text(json.dumps(case[1](gt), allow_nan=True))
    dets_path.write_text("not even JSON")  # the annotations are checked first
    with pytest.raises(DatasetError) as info:
        score_file(dets_path, gt_path)
    message = str(info.value)
    assert message.startswith(str(gt_path)) and "\n" not in message
    for fragment in case[2]:
        assert fragment in message, (fragment, message)


def test_a_real_annotation_file_passes_the_checks():
    from benchgen.measure.accuracy.dataset import read_annotation_file
    from tests.measure.builders import TINY80, require_shared

    require_shared(TINY80)
    data = read_annotation_file(TINY80 / "annotations" / "instances_val2017.json", coco_ids=True)
    assert len(data["annotations"]) == 815


def test_annotations_without_images_have_nothing_to_score(files):
    _, _, gt_path, dets_path = files
    gt_path.write_text(json.dumps({"images": [], "annotations": [], "categories": []}))
    with pytest.raises(DetectionsError, match="lists no images"):
        score_file(dets_path, gt_path)
