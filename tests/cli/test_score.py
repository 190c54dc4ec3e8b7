"""`benchgen score --detections DETS.json --annotations GT.json` from the command line."""

from __future__ import annotations

import json

import pytest

from benchgen.cli import main
from tests.measure.builders import TINY80, edge_case_coco, jittered_detections, pycocotools_score, require_shared


@pytest.fixture
def files(tmp_path):
    gt, detections = edge_case_coco()
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "dets.json").write_text(json.dumps(detections))
    return tmp_path / "dets.json", tmp_path / "gt.json", gt, detections


def test_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["score", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "--detections" in out and "--annotations" in out and "--json" in out


def test_prints_the_12_line_coco_summary_then_what_was_scored(files, capsys):
    dets, gt_path, gt, detections = files
    assert main(["score", "--detections", str(dets), "--annotations", str(gt_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    _, summary = pycocotools_score(gt, detections)
    assert out[:12] == summary.splitlines()  # pycocotools' own summarize(), line for line
    assert out[12].startswith(f"{len(detections)} detections on 5 of 7 images, scored against {gt_path} with "
                              "faster-coco-eval ")
    assert len(out) == 13


def test_json_has_the_stats_the_summary_and_the_counts(files, capsys):
    dets, gt_path, gt, detections = files
    assert main(["score", "--detections", str(dets), "--annotations", str(gt_path), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    expected, _ = pycocotools_score(gt, detections)
    assert max(abs(a - b) for a, b in zip(printed["coco"].values(), expected)) <= 1e-6
    assert len(printed["coco_summary"]) == 12
    assert (printed["images"], printed["images_with_detections"], printed["detections"]) == (7, 5, len(detections))
    assert printed["detections_file"] == str(dets) and printed["annotations"] == str(gt_path)
    assert printed["coco_engine"].startswith("faster-coco-eval ")


def test_an_empty_list_scores_zero_and_says_so(files, capsys):
    dets, gt_path, _, _ = files
    dets.write_text("[]")
    assert main(["score", "--detections", str(dets), "--annotations", str(gt_path), "--json"]) == 0
    captured = capsys.readouterr()
    assert set(json.loads(captured.out)["coco"].values()) <= {0.0, -1.0}
    assert "holds no detections" in captured.err and "as 0" in captured.err


def test_tiny80_with_jittered_detections(tmp_path, capsys):
    require_shared(TINY80)
    annotations = TINY80 / "annotations" / "instances_val2017.json"
    gt = json.loads(annotations.read_text())
    detections = jittered_detections(gt, 5)
    (tmp_path / "dets.json").write_text(json.dumps(detections))
    assert main(["score", "--detections", str(tmp_path / "dets.json"), "--annotations", str(annotations)]) == 0
    assert capsys.readouterr().out.splitlines()[:12] == pycocotools_score(gt, detections)[1].splitlines()


@pytest.mark.parametrize("content, fragments", [
    ("{oops", ["dets.json: not a JSON file"]),
    (json.dumps({"annotations": [], "images": [], "categories": []}), ["is a COCO annotation file"]),
    (json.dumps([{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10]}]), ["detection 0", "lacks 'score'"]),
    (json.dumps([{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10], "score": 1}]), ["bbox that is not"]),
    (json.dumps([{"image_id": 99, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 1}]), ["is of image 99"]),
    (json.dumps([{"image_id": 1, "category_id": 99, "bbox": [0, 0, 10, 10], "score": 1}]), ["category_id 99"]),
    ('[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": NaN}]', ["score that is not a finite"]),
])
def test_a_bad_file_is_one_line_on_stderr_and_exit_code_2(files, capsys, content, fragments):
    dets, gt_path, _, _ = files
    dets.write_text(content)
    assert main(["score", "--detections", str(dets), "--annotations", str(gt_path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"benchgen: error: {dets}")
    for fragment in fragments:
        assert fragment in lines[0]


def test_missing_files_and_options(files, tmp_path, capsys):
    dets, gt_path, _, _ = files
    assert main(["score", "--detections", str(tmp_path / "none.json"), "--annotations", str(gt_path)]) == 2
    assert "none.json: detections file not found" in capsys.readouterr().err
    assert main(["score", "--detections", str(dets), "--annotations", str(tmp_path / "none.json")]) == 2
    assert "none.json: annotation file not found" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["score", "--detections", str(dets)])
    assert exit_info.value.code == 2
    assert "--annotations" in capsys.readouterr().err
