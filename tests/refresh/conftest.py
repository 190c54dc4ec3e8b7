"""A registry of bring-your-own variants that use a tiny YOLOX-format ONNX detector,
so refresh can run real measurements in seconds."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchgen.results.provenance import current_machine
from tests.conftest import family_doc, variant_doc, write_registry
from tests.measure.builders import build_tiny_yolox_onnx

SIZE = 64


def byo_registry(directory: Path, onnx_path: Path, variants: int = 3, broken: str | None = None) -> Path:
    docs = []
    items = []
    for i in range(variants):
        vid = f"tiny-{i}"
        doc = variant_doc(vid, "s", 30.0 + i, 1.0 + i, 1.0)
        doc["input_size"] = SIZE
        doc["onnx"] = str(directory.parent / "missing.onnx") if vid == broken else str(onnx_path)
        items.append(doc)
    docs.append(family_doc("tiny", "Tiny", items, implementation=None, decoder="yolox"))
    return write_registry(directory, docs)


@pytest.fixture
def tiny_project(tmp_path, monkeypatch):
    """A project root with no ../shared dataset (so no accuracy jobs) and its own cache."""
    root = tmp_path / "project"
    root.mkdir()
    monkeypatch.setenv("BENCHGEN_ROOT", str(root))
    monkeypatch.setenv("BENCHGEN_MACHINE_ID", "cpu-test-refresh")
    monkeypatch.setenv("BENCHGEN_CACHE_DIR", str(tmp_path / "cache"))
    current_machine.cache_clear()  # it is cached per process and must see this test's machine id
    yield root, build_tiny_yolox_onnx(tmp_path / "tiny.onnx", input_size=SIZE)
    current_machine.cache_clear()
