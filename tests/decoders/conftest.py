"""Fixtures of the decoder tests: an isolated cache and a one-image COCO set to score oracles on."""

from __future__ import annotations

import pytest

from tests.measure.builders import build_synthetic_coco


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCHGEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("BENCHGEN_REGISTRY", raising=False)


@pytest.fixture
def one_image(tmp_path):
    """The synthetic set's first image (id 1000, 640 x 480) and its four ground-truth boxes."""
    coco = build_synthetic_coco(tmp_path / "coco")
    truth = [a for a in coco.data["annotations"] if a["image_id"] == 1000]
    assert len(truth) == 4 and coco.data["images"][0]["width"] == 640
    return coco, truth
