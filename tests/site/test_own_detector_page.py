"""The how-to page "Measure your own detector" cannot rot: its YAML snippets are loaded and run.

Snippets that name the shared Ultralytics exports are measured (size, CPU latency) on them; the
others name files a user would have, so a tiny constant ONNX of that format stands in for the file.
Each snippet must resolve to the decoder the page says it is for.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import yaml

from benchgen.decoders.grids import anchor_points
from benchgen.measure.graph.model_files import project_root, resolve_model
from benchgen.registry import load_registry
from tests.conftest import REPO
from tests.decoders.builders import constant_onnx

PAGE = REPO / "docs" / "how-to" / "own-detector.md"
SNIPPET = re.compile(r"<!-- snippet: (?P<format>[\w-]+) -->\s*```yaml\n(?P<yaml>.*?)```", re.S)


def stand_in(path, fmt: str, size: int):
    """A tiny file in the snippet's format, for snippets that name a user's own export."""
    if fmt == "ultralytics-rtdetr":
        return constant_onnx(path, {"output0": np.zeros((1, 300, 84), np.float32)}, size)
    if fmt == "detr":
        return constant_onnx(path, {"pred_logits": np.zeros((1, 100, 92), np.float32),
                                    "pred_boxes": np.zeros((1, 100, 4), np.float32)}, size)
    if fmt == "yolov5":  # 3 anchors per cell of strides 8, 16, 32, decoded: cx, cy, w, h, obj, 80 classes
        return constant_onnx(path, {"output0": np.zeros((1, 3 * anchor_points(size), 85), np.float32)}, size)
    if fmt == "gfl":  # NanoDet's names: a class and a distribution map per stride
        return constant_onnx(path, {name: np.zeros((1, (size // s) ** 2, width), np.float32)
                                    for s in (8, 16, 32) for name, width in
                                    ((f"cls_pred_stride_{s}", 80), (f"dis_pred_stride_{s}", 32))}, size)
    outputs = {"labels": np.zeros((1, 300), np.int64), "boxes": np.zeros((1, 300, 4), np.float32),
               "scores": np.zeros((1, 300), np.float32)}
    if fmt == "nms-in-graph":
        return constant_onnx(path, outputs, size, sizes_input="orig_target_sizes", scale_by_sizes="boxes")
    return constant_onnx(path, outputs, size)  # "overrides": boxes in input pixels, no sizes input


def snippets():
    found = [(m["format"], yaml.safe_load(m["yaml"])) for m in SNIPPET.finditer(PAGE.read_text(encoding="utf-8"))]
    assert {f for f, _ in found} >= {"ultralytics", "end2end", "ultralytics-rtdetr", "detr", "nms-in-graph"}
    return found


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCHGEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("BENCHGEN_MACHINE_ID", "cpu-test-howto")
    from benchgen.results.provenance import current_machine

    current_machine.cache_clear()
    yield
    current_machine.cache_clear()


@pytest.mark.parametrize("fmt, doc", snippets(), ids=[f for f, _ in snippets()])
def test_each_snippet_loads_and_resolves_to_its_format(tmp_path, fmt, doc):
    shared = []
    for variant in doc["variants"]:
        path = project_root() / variant["onnx"]
        if path.is_file():
            shared.append(variant["id"])
        else:
            assert not variant["onnx"].startswith("../shared/"), f"{variant['onnx']} is missing from shared/"
            variant["onnx"] = str(stand_in(tmp_path / f"{variant['id']}.onnx", fmt, variant["input_size"]))
    directory = tmp_path / "mydir"
    directory.mkdir()
    (directory / f"{doc['id']}.yaml").write_text(yaml.safe_dump(doc))
    registry = load_registry(directory)
    expected = "nms-in-graph" if fmt == "overrides" else fmt
    for variant in doc["variants"]:
        model = resolve_model(variant["id"], registry=registry)
        assert model.pipeline.settings["decoder"] == expected
    for variant_id in shared:
        from benchgen.measure.timing.latency_cpu import measure_cpu_latency
        from benchgen.measure.graph.size import measure_size

        size = measure_size(variant_id, registry=registry)
        assert size.status == "ok" and size.metrics["params_m"] > 1 and size.settings["decoder"] == expected
        latency = measure_cpu_latency(variant_id, budget_s=0.3, threads=1, registry=registry)
        assert latency.status == "ok" and latency.metrics["latency_cpu_ms"] > 0


def test_overrides_snippet_sets_every_convention_it_shows(tmp_path):
    doc = dict(snippets())["overrides"]
    variant = doc["variants"][0]
    variant["onnx"] = str(stand_in(tmp_path / "custom.onnx", "overrides", variant["input_size"]))
    directory = tmp_path / "mydir"
    directory.mkdir()
    (directory / "custom.yaml").write_text(yaml.safe_dump(doc))
    settings = resolve_model(variant["id"], registry=load_registry(directory)).pipeline.settings
    assert settings["pre_pad"] == "top-left" and settings["pre_channels"] == "bgr"
    assert settings["pre_pixel_range"] == "0-255" and settings["pre_pad_value"] == 0
    assert settings["class_map"] == "coco-ids" and settings["boxes"] == "input-pixels"


def test_the_page_is_in_the_built_site(default_site):
    page = default_site / "how-to" / "own-detector" / "index.html"
    assert page.is_file() and "Measure your own detector" in page.read_text(encoding="utf-8")
    assert 'href="how-to/own-detector/"' in (default_site / "index.html").read_text(encoding="utf-8")
