"""A truncated image is scored as it decodes, but the result says how many there were."""

from __future__ import annotations

import pytest

from benchgen.cli import main
from benchgen.errors import DatasetError
from benchgen.measure.accuracy.images import read_image
from benchgen.results.provenance import current_machine
from benchgen.results.store import load_results
from tests.measure.builders import build_huge_png, build_synthetic_coco, build_tiny_yolox_onnx, write_tiny_registry


def _truncate(path, keep=0.6):
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def test_complete_truncated_and_oversized_images(tmp_path):
    coco = build_synthetic_coco(tmp_path / "coco")
    first, second = sorted(coco.images_dir.glob("*.jpg"))[:2]
    assert read_image(first, "fix it").warning is None
    _truncate(second)
    decoded = read_image(second, "fix it")
    assert decoded.pixels is not None and "truncated JPEG" in decoded.warning
    with pytest.raises(DatasetError, match="too large to decode .*; fix it"):
        read_image(build_huge_png(tmp_path / "huge.png"), "fix it")


def test_eval_counts_truncated_images_in_the_result_and_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BENCHGEN_CACHE_DIR", str(tmp_path / "cache"))
    registry = write_tiny_registry(tmp_path / "registry", build_tiny_yolox_onnx(tmp_path / "tiny.onnx"))
    coco = build_synthetic_coco(tmp_path / "coco")
    truncated = sorted(coco.images_dir.glob("*.jpg"))[1]
    _truncate(truncated)
    argv = ["eval", "tiny-yolox", "--registry", str(registry), "--images", str(coco.images_dir),
            "--results", str(tmp_path / "results"), "--no-progress"]
    try:
        assert main(argv) == 0
        assert main(argv) == 0  # the cached detections keep the count
    finally:
        current_machine.cache_clear()
    err = capsys.readouterr().err
    assert err.count("1 image(s) decoded incomplete") == 2 and truncated.name in err
    results = load_results(tmp_path / "results")
    assert [r.details["from_cache"] for r in results] == [False, True]
    for result in results:
        assert result.details["decode_warnings"] == 1
        assert result.details["decode_warning_images"] == [f"{truncated.name}: truncated JPEG (no end-of-image "
                                                           "marker; the missing rows decode as grey)"]
