"""The registry's fetchable files: the committed results keep their keys, the lock accepts the
../shared/ copies, and the default dataset comes from a mirror complete or not at all."""

from __future__ import annotations

import shutil

import pytest

from benchgen.cli import main
from tests.conftest import REPO, SHARED

needs_shared = pytest.mark.skipif(not (SHARED / "datasets" / "coco-val2017-tiny80").is_dir(), reason="needs ../shared")


@needs_shared
def test_committed_results_stay_fresh_with_shared_as_a_mirror(monkeypatch):
    """The ONNX files moved from registry paths to fetchable files; the keys of what was measured
    from them did not change (the key hashes the file's bytes)."""
    from benchgen.paths import DEFAULT_RESULTS_DIR
    from benchgen.refresh.plan import plan
    from benchgen.registry import load_registry
    from benchgen.results.index import load_headers

    monkeypatch.delenv("BENCHGEN_ROOT", raising=False)
    monkeypatch.setenv("BENCHGEN_DATA_DIR", "/nonexistent-benchgen-data")
    jobs = plan(load_registry(), load_headers(DEFAULT_RESULTS_DIR), {"ort-cpu": "cpu-amd-epyc-2c-b92d6f"},
                only=["yolox-nano", "nanodet-m-320", "picodet-s-320"], backends=["ort-cpu"])
    sizes = [j for j in jobs if j.kind == "size"]
    assert len(sizes) == 3 and all(not j.stale and j.reason == "up to date" for j in sizes)


def test_every_registry_onnx_download_has_an_accepted_checksum():
    from benchgen.fetch.lock import load_lock
    from benchgen.registry import load_registry

    locked = load_lock(REPO / "results" / "fetch-lock.json").files
    onnx = [v for _, v in load_registry().variants() if v.download and v.download.path.endswith(".onnx")]
    assert {v.id for v in onnx} == {"yolox-nano", "nanodet-m-320", "picodet-s-320", "yolov5-n"}
    assert all(locked.get(v.download.path) for v in onnx)


@needs_shared
def test_the_default_dataset_is_fetched_from_a_directory_mirror(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BENCHGEN_ROOT", str(tmp_path / "project"))  # no ../shared beside it
    (tmp_path / "project").mkdir()
    monkeypatch.setenv("BENCHGEN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("BENCHGEN_FETCH_LOCK", str(tmp_path / "lock.json"))
    shutil.copyfile(REPO / "results" / "fetch-lock.json", tmp_path / "lock.json")
    from benchgen.measure.accuracy.dataset import default_dataset_root

    assert not (default_dataset_root() / "val2017").is_dir()
    assert main(["fetch", "--dataset", "coco-val2017-tiny80", "--mirror", str(SHARED)]) == 0
    root = default_dataset_root()
    assert root == tmp_path / "data" / "datasets" / "coco-val2017-tiny80"
    assert len(list((root / "val2017").glob("*.jpg"))) == 80


def test_an_unknown_dataset_is_one_line(capsys):
    assert main(["fetch", "--dataset", "coco-val2099"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "coco-val2017-tiny80" in err and "coco-val2017" in err


def test_eval_on_a_dataset_that_is_not_here_names_the_fetch(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BENCHGEN_DATA_DIR", str(tmp_path / "data"))
    assert main(["eval", "yolox-nano", "--dataset", "coco-val2017", "--results", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "benchgen fetch --dataset coco-val2017" in err and "--mirror" in err


def test_a_file_without_an_official_download_comes_from_mirrors_only(tmp_path, monkeypatch, capsys):
    """Like the YOLOv5n export in ../shared/: a registry ONNX file is one more fetchable file, even with no
    official URL (the lock records its checksum and where it comes from)."""
    from benchgen.fetch.files import MissingFile
    from benchgen.registry.downloads import local_variant_file
    from benchgen.registry.schema import Variant

    variant = Variant.model_validate({"id": "yolov5-n", "name": "YOLOv5n", "input_size": 640, "download": {
        "path": "models/yolov5n/yolov5n_640_fp32.onnx", "url": None, "read_from": "an export made for benchgen"}})
    monkeypatch.setenv("BENCHGEN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("BENCHGEN_ROOT", str(tmp_path / "project"))  # no ../shared beside it
    monkeypatch.setenv("BENCHGEN_FETCH_LOCK", str(REPO / "results" / "fetch-lock.json"))
    with pytest.raises(MissingFile):
        local_variant_file(variant)
    if (SHARED / "models" / "yolov5n").is_dir():
        monkeypatch.setenv("BENCHGEN_MIRROR", str(SHARED))
        assert local_variant_file(variant) == SHARED / "models" / "yolov5n" / "yolov5n_640_fp32.onnx"
