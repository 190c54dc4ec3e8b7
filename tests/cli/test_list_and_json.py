"""`benchgen list`, `--json` on the measuring verbs, and `benchgen.results.load_frame()`."""

from __future__ import annotations

import json

import numpy as np
import pytest

from benchgen.cli import main
from benchgen.results import load_frame, load_results
from tests.decoders.builders import constant_onnx, five_line_registry


@pytest.fixture
def mine(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCHGEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("BENCHGEN_MACHINE_ID", "cpu-test-list")
    monkeypatch.delenv("BENCHGEN_REGISTRY", raising=False)
    from benchgen.results.provenance import current_machine

    current_machine.cache_clear()
    rows = np.zeros((1, 300, 6), np.float32)
    path = constant_onnx(tmp_path / "mine.onnx", {"output0": rows}, 64,
                         metadata={"author": "Ultralytics", "task": "detect", "end2end": "True"})
    yield five_line_registry(tmp_path / "reg", path, 64)
    current_machine.cache_clear()


def test_size_json_then_list_json_shows_decoder_and_what_is_measured_where(mine, tmp_path, capsys):
    results = tmp_path / "results"
    assert main(["size", "mine-a", "--registry", str(mine), "--results", str(results), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["variant"] == "mine-a" and printed["kind"] == "size" and printed["file"].endswith(".json")
    assert printed["settings"]["decoder"] == "end2end"

    assert main(["list", "--registry", str(mine), "--results", str(results), "--json"]) == 0
    rows = {r["variant"]: r for r in json.loads(capsys.readouterr().out)}
    assert {"damo-yolo-s", "yolox-nano", "mine-a"} <= set(rows)
    assert rows["mine-a"]["decoder"] == "end2end (auto)"
    assert rows["mine-a"]["measured"] == {"cpu-test-list": {"size": printed["provenance"]["date"][:10]}}
    assert rows["damo-yolo-s"]["decoder"] == "implementation damo-yolo"

    assert main(["list", "--registry", str(mine), "--no-builtin", "--results", str(results)]) == 0
    text = capsys.readouterr().out
    assert "mine-a" in text and "end2end (auto)" in text and "cpu-test-list: size" in text and "damo" not in text


def test_list_decoders_names_every_format_with_its_convention(capsys):
    assert main(["list", "--decoders", "--json"]) == 0
    decoders = {d["name"]: d for d in json.loads(capsys.readouterr().out)}
    assert {"ultralytics", "end2end", "ultralytics-rtdetr", "detr", "nms-in-graph", "yolox"} <= set(decoders)
    assert decoders["ultralytics"]["preprocess"]["pad"] == "center"
    assert decoders["yolox"]["preprocess"]["channels"] == "bgr"


def test_sources_json_is_a_list_of_disagreements(capsys):
    assert main(["sources", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found and {"family", "variant", "metric", "values"} <= set(found[0])


def test_load_frame_is_one_row_per_result(mine, tmp_path):
    results = tmp_path / "results"
    for _ in range(2):
        assert main(["size", "mine-a", "--registry", str(mine), "--results", str(results)]) == 0
    from benchgen.registry.load import load_registries

    frame = load_frame(results, registry=load_registries([mine]))
    assert len(frame) == len(load_results(results)) == 2
    assert frame["family"].tolist() == ["mine", "mine"] and frame["kind"].tolist() == ["size", "size"]
    assert frame["params_m"].notna().all() and frame["latency_cpu_ms"].isna().all()
    assert str(frame["date"].dt.tz) == "UTC" and frame["date"].is_monotonic_increasing
