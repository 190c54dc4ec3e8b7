"""Fixtures of the measuring tests (the builders behind them are in builders.py)."""

from __future__ import annotations

import pytest

from benchgen.results.provenance import current_machine
from tests.measure.builders import SyntheticCoco, TinyModel, build_synthetic_coco, build_tiny_yolox_onnx, \
    write_tiny_registry


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    """Exports, detections and engines go to tmp_path, never into the checkout's .benchgen/.

    The machine record is cached per process; it is dropped afterwards so that a later test that
    sets BENCHGEN_MACHINE_ID sees its own id, not the one these measurements cached.
    """
    cache = tmp_path / "cache"
    monkeypatch.setenv("BENCHGEN_CACHE_DIR", str(cache))
    yield cache
    current_machine.cache_clear()


@pytest.fixture
def synthetic_coco(tmp_path) -> SyntheticCoco:
    return build_synthetic_coco(tmp_path / "coco")


@pytest.fixture
def tiny_model(tmp_path) -> TinyModel:
    onnx_path = build_tiny_yolox_onnx(tmp_path / "tiny_yolox.onnx")
    return TinyModel(onnx_path, write_tiny_registry(tmp_path / "registry", onnx_path))
