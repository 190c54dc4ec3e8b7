"""Bring your own detector from the command line: five lines of YAML, added to the built-in registry."""

from __future__ import annotations

import numpy as np
import onnx
import pytest

from benchgen.cli import main
from benchgen.decoders.grids import anchor_points
from benchgen.registry.load import load_registries
from benchgen.results.store import load_results
from tests.decoders.builders import constant_onnx, five_line_registry
from tests.measure.builders import SHARED

ULTRALYTICS = SHARED / "models" / "ultralytics-random"


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCHGEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("BENCHGEN_MACHINE_ID", "cpu-test-own")
    monkeypatch.delenv("BENCHGEN_REGISTRY", raising=False)
    from benchgen.results.provenance import current_machine

    current_machine.cache_clear()
    yield
    current_machine.cache_clear()


def _end2end(tmp_path, size=64):
    rows = np.zeros((1, 300, 6), np.float32)
    rows[0, 0] = [8, 8, 40, 40, 0.9, 0]
    return constant_onnx(tmp_path / "mine.onnx", {"output0": rows}, size,
                         metadata={"author": "Ultralytics", "task": "detect", "end2end": "True"})


def test_registry_dir_adds_to_the_builtin_one_and_no_builtin_keeps_only_yours(tmp_path, monkeypatch):
    mine = five_line_registry(tmp_path / "mine", _end2end(tmp_path), 64)
    ids = [f.id for f in load_registries([mine]).families]
    assert {"damo-yolo", "rtdetrv2", "yolox", "mine"} <= set(ids)
    assert [f.id for f in load_registries([mine], builtin=False).families] == ["mine"]
    other = five_line_registry(tmp_path / "other", _end2end(tmp_path), 64, family_id="other")
    monkeypatch.setenv("BENCHGEN_REGISTRY", f"{mine}:{other}")
    assert [f.id for f in load_registries(builtin=False).families] == ["mine", "other"]


def test_an_id_clash_between_directories_names_both_files(tmp_path, capsys):
    clash = five_line_registry(tmp_path / "clash", _end2end(tmp_path), 64, family_id="yolox")
    assert main(["sources", "--registry", str(clash)]) == 2
    err = capsys.readouterr().err
    assert "clash/yolox.yaml" in err and "registry/data/yolox.yaml" in err and "already defined" in err


def _format_file(tmp_path, fmt: str, size: int = 64):
    """A tiny file of each format a user may bring, recognisable by `decoder: auto` from five lines."""
    if fmt == "end2end":
        return _end2end(tmp_path, size)
    if fmt == "ultralytics":
        raw = np.zeros((1, 84, anchor_points(size)), np.float32)
        raw[0, :4, 0], raw[0, 4, 0] = [24, 24, 32, 32], 0.9
        return constant_onnx(tmp_path / "mine.onnx", {"output0": raw}, size,
                             metadata={"author": "Ultralytics", "task": "detect", "end2end": "False"})
    if fmt == "detr":
        logits = np.full((1, 10, 92), -5.0, np.float32)
        logits[0, 0, 1] = 5.0
        return constant_onnx(tmp_path / "mine.onnx", {"pred_logits": logits,
                                                      "pred_boxes": np.full((1, 10, 4), 0.3, np.float32)}, size)
    return constant_onnx(tmp_path / "mine.onnx", {"labels": np.zeros((1, 5), np.int64),
                                                  "boxes": np.full((1, 5, 4), 0.2, np.float32),
                                                  "scores": np.full((1, 5), 0.5, np.float32)}, size,
                         sizes_input="orig_target_sizes", scale_by_sizes="boxes")


@pytest.mark.parametrize("fmt", ["ultralytics", "end2end", "detr", "nms-in-graph"])
def test_five_lines_refresh_put_the_model_on_the_leaderboard_and_compare_pages(tmp_path, capsys, fmt):
    """The issue's done-when: `benchgen refresh --registry mydir` with nothing but the five lines."""
    mine = tmp_path / "mydir"
    mine.mkdir()
    onnx_path = _format_file(tmp_path, fmt)
    (mine / "mine.yaml").write_text(f"id: mine\nname: My detector\nvariants:\n  - id: mine-a\n    name: Mine A\n"
                                    f"    input_size: 64\n    onnx: {onnx_path}\n")
    results, docs = tmp_path / "results", tmp_path / "docs"
    assert main(["refresh", "--registry", str(mine), "--only", "mine", "--latency-budget", "0.3",
                 "--results", str(results), "--docs", str(docs)]) == 0
    ok = [r for r in load_results(results) if r.variant == "mine-a" and r.status == "ok"]
    assert {"size", "latency-cpu"} <= {r.kind for r in ok}
    assert {r.settings["decoder"] for r in ok} == {fmt}
    leaderboard = (docs / "leaderboard.md").read_text()
    assert 'data-variant="mine-a"' in leaderboard and 'data-variant="damo-yolo-s"' in leaderboard
    compare = docs / "compare" / "damo-yolo-vs-mine.md"
    page = compare.read_text()
    assert "Mine A" in page and "DAMO-YOLO" in page and "bg-mark-measured" in page
    family = (docs / "families" / "mine.md").read_text()
    assert "Authors:" not in family and "Key innovations" not in family and "None" not in family


@pytest.mark.skipif(not (ULTRALYTICS / "yolov8n.onnx").is_file(), reason="shared Ultralytics exports absent")
def test_shared_ultralytics_exports_size_latency_and_eval_run_cleanly(tmp_path, capsys):
    mine = tmp_path / "reg"
    mine.mkdir()
    (mine / "u.yaml").write_text(
        "id: u\nname: Ultralytics random\nvariants:\n"
        f"  - {{id: u-v8n, name: v8n, input_size: 640, onnx: {ULTRALYTICS / 'yolov8n.onnx'}}}\n"
        f"  - {{id: u-26n, name: 26n, input_size: 640, onnx: {ULTRALYTICS / 'yolo26n-e2e.onnx'}}}\n")
    results = tmp_path / "results"
    for variant, path in [("u-v8n", "yolov8n.onnx"), ("u-26n", "yolo26n-e2e.onnx")]:
        # params = the floating-point, non-scalar initializers (int64 shape tensors and scalars are not weights)
        model = onnx.load(str(ULTRALYTICS / path))
        weights = sum(int(np.prod(i.dims)) for i in model.graph.initializer
                      if i.data_type in (onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16) and len(i.dims) > 0)
        assert main(["size", variant, "--registry", str(mine), "--results", str(results)]) == 0
        size = [r for r in load_results(results) if r.variant == variant and r.kind == "size"][0]
        assert size.details["params"] == weights and size.metrics["params_m"] == weights / 1e6
        assert size.settings["input_size"] == 640 and size.settings["decoder"] in ("ultralytics", "end2end")
        assert main(["latency", variant, "--registry", str(mine), "--budget", "0.5", "--threads", "1",
                     "--results", str(results)]) == 0
        assert main(["eval", variant, "--registry", str(mine), "--max-images", "2", "--no-progress",
                     "--results", str(results)]) == 0
    v8n_size = [r for r in load_results(results) if r.variant == "u-v8n" and r.kind == "size"][0]
    # shared/README.md: 3,189,086 values in all initializers, of which 25 int64 shape values and one scalar
    assert v8n_size.details["params"] == 3_189_086 - 26
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("path, fmt", [("nanodet-m/nanodet_m_320.onnx", "nanodet"),
                                       ("picodet-s/picodet_s_320_coco.onnx", "picodet")])
def test_five_lines_register_a_real_nanodet_or_picodet_export_and_eval_scores_it(tmp_path, capsys, path, fmt):
    """The real COCO-trained exports, from five lines (decoder auto): they must find objects on real images."""
    onnx_path = SHARED / "models" / path
    if not onnx_path.exists():
        pytest.skip(f"../shared/models/{path} is not on this machine")
    mine = five_line_registry(tmp_path / "mine", onnx_path, 320)
    results = tmp_path / "results"
    assert main(["eval", "mine-a", "--registry", str(mine), "--results", str(results), "--max-images", "6",
                 "--no-progress", "--json"]) == 0
    capsys.readouterr()
    (result,) = load_results(results)
    assert result.settings["decoder"] == "gfl" and result.settings["format"] == fmt
    # a broken decode scores near 0 on real images; the conventions themselves are held by the oracles
    # (trained models are forgiving: NanoDet-m fed RGB lost 0.7 AP on these 6 images)
    assert result.metrics["map50_95"] > 10
    interval = result.intervals["map50_95"]
    assert interval.images == 6 and interval.low <= result.metrics["map50_95"] <= interval.high
