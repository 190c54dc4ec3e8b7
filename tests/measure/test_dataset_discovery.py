"""Finding a COCO-format dataset from either half, and refusing a broken one up front."""

from __future__ import annotations

import json

import pytest

from benchgen.errors import DatasetError
from benchgen.measure.accuracy.dataset import load_dataset


def test_images_dir_alone_finds_the_annotations_beside_it(synthetic_coco):
    dataset = load_dataset(images_dir=synthetic_coco.images_dir)
    assert dataset.annotations == synthetic_coco.annotations.resolve()
    assert dataset.image_ids == [1000, 1007, 1014, 1021, 1028, 1035]
    assert dataset.describe() == "coco/val2017 (6 images)"


def test_annotations_alone_find_the_images(synthetic_coco):
    assert load_dataset(annotations=synthetic_coco.annotations).images_dir == synthetic_coco.images_dir.resolve()


def test_the_dataset_root_is_enough(synthetic_coco):
    assert load_dataset(images_dir=synthetic_coco.root).images_dir == synthetic_coco.images_dir.resolve()


def test_max_images_takes_the_lowest_ids_and_changes_the_fingerprint(synthetic_coco):
    full = load_dataset(synthetic_coco.images_dir, synthetic_coco.annotations)
    part = load_dataset(synthetic_coco.images_dir, synthetic_coco.annotations, max_images=2)
    assert part.image_ids == [1000, 1007]
    assert part.fingerprint != full.fingerprint


def test_missing_image_is_named_before_anything_runs(synthetic_coco):
    (synthetic_coco.images_dir / "000000001014.jpg").unlink()
    with pytest.raises(DatasetError, match=r"1 of 6 images .* missing \(000000001014.jpg\)"):
        load_dataset(synthetic_coco.images_dir, synthetic_coco.annotations)


def test_missing_annotation_file_says_how_to_fix(tmp_path):
    (tmp_path / "val2017").mkdir()
    with pytest.raises(DatasetError, match="pass --annotations"):
        load_dataset(images_dir=tmp_path / "val2017")
    with pytest.raises(DatasetError, match="annotation file not found"):
        load_dataset(tmp_path / "val2017", tmp_path / "nope.json")


def test_not_a_detection_file(synthetic_coco):
    synthetic_coco.annotations.write_text(json.dumps({"images": []}))
    with pytest.raises(DatasetError, match="no list annotations, categories"):
        load_dataset(synthetic_coco.images_dir, synthetic_coco.annotations)


def test_non_coco_category_ids_are_refused(synthetic_coco):
    data = dict(synthetic_coco.data, categories=[{"id": 12, "name": "unused in COCO"}])
    synthetic_coco.annotations.write_text(json.dumps(data))
    with pytest.raises(DatasetError, match=r"category ids \[12\]"):
        load_dataset(synthetic_coco.images_dir, synthetic_coco.annotations)


def test_missing_default_dataset_points_to_the_options(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCHGEN_ROOT", str(tmp_path / "project"))
    with pytest.raises(DatasetError, match="coco-val2017-tiny80.*--images DIR --annotations FILE"):
        load_dataset()
