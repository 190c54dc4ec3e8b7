"""INT8 quantisation: a QDQ graph calibrated on the calibration folder only, cached, recorded."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import onnx
import pytest

from benchgen.errors import BenchgenError, DatasetError
from benchgen.measure.graph.model_files import resolve_model
from benchgen.measure.graph.quantize import (calibration_images, check_precision, int8_model, output_layers,
                                       prepared_source, with_precision)
from benchgen.measure.backends.runners import OrtRunner
from benchgen.registry import load_registry

pytest.importorskip("nncf")


def write_images(folder: Path, count: int = 4) -> Path:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(count):
        cv2.imwrite(str(folder / f"{i:012d}.jpg"), rng.integers(0, 256, (48, 64, 3), dtype=np.uint8))
    return folder


@pytest.fixture
def calibration(tmp_path, monkeypatch):
    folder = write_images(tmp_path / "mini" / "train2017")
    monkeypatch.setenv("BENCHGEN_CALIBRATION_DIR", str(folder))
    return folder


@pytest.mark.parametrize("tool", ["nncf", "ort"])
def test_an_int8_graph_is_qdq_runs_on_the_same_pipeline_and_is_cached(tiny_model, calibration, tool):
    model = resolve_model(tiny_model.variant_id, registry=load_registry(tiny_model.registry_dir))
    int8 = int8_model(model, tool)
    graph = onnx.load(str(int8.onnx_path))
    ops = {node.op_type for node in graph.graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops
    assert int8.precision == "int8" and model.precision == "fp32" and int8.pipeline is model.pipeline
    settings = int8.settings()
    assert settings["precision"] == "int8" and settings["quantiser"].startswith(tool)
    assert settings["fp32_onnx_sha256"] == model.onnx_sha256[:16] and settings["onnx_sha256"] != model.onnx_sha256[:16]
    assert settings["calibration_images"] == "4 from mini"
    feeds = {"images": np.random.default_rng(1).uniform(0, 255, (1, 3, 32, 32)).astype(np.float32)}
    (out,) = OrtRunner(int8.onnx_path).run(feeds)
    assert out.shape == (1, 21, 85) and np.isfinite(out).all()
    stamp = int8.onnx_path.stat().st_mtime_ns
    assert int8_model(model, tool).onnx_path.stat().st_mtime_ns == stamp  # reused, not quantised again
    assert not list(int8.onnx_path.parent.glob(".*.tmp"))  # no half-written file is left


def test_other_calibration_images_make_another_file(tiny_model, calibration, tmp_path, monkeypatch):
    model = resolve_model(tiny_model.variant_id, registry=load_registry(tiny_model.registry_dir))
    first = int8_model(model, "ort").onnx_path
    monkeypatch.setenv("BENCHGEN_CALIBRATION_DIR", str(write_images(tmp_path / "other" / "train2017", 3)))
    assert int8_model(model, "ort").onnx_path != first


def test_fp32_is_the_model_itself():
    sentinel = object()
    assert with_precision(sentinel, "fp32") is sentinel
    with pytest.raises(BenchgenError, match="--precision 'fp16'"):
        check_precision("fp16")


def test_calibration_never_reads_an_evaluation_set_or_an_empty_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCHGEN_CALIBRATION_DIR", str(write_images(tmp_path / "coco" / "val2017")))
    with pytest.raises(DatasetError, match="must not come from an evaluation set"):
        calibration_images()
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("BENCHGEN_CALIBRATION_DIR", str(tmp_path / "empty"))
    with pytest.raises(DatasetError, match="no calibration images"):
        calibration_images()


def test_an_opset_11_graph_is_raised_to_13_for_per_channel_scales(tiny_model, tmp_path):
    model = onnx.load(str(tiny_model.onnx_path))
    model.opset_import[0].version = 11
    old = tmp_path / "old.onnx"
    onnx.save(model, str(old))
    prepared = prepared_source(old, tmp_path / "scratch.onnx")
    assert prepared == tmp_path / "scratch.onnx"
    assert onnx.load(str(prepared)).opset_import[0].version == 13


def test_the_output_layers_are_the_last_weighted_ones_before_each_output():
    from onnx import TensorProto, helper

    nodes = [helper.make_node("Conv", ["x", "w0"], ["a"], name="stem"),
             helper.make_node("Conv", ["a", "w1"], ["b"], name="cls"),
             helper.make_node("Sigmoid", ["b"], ["c"], name="act"),
             helper.make_node("Conv", ["a", "w2"], ["d"], name="box"),
             helper.make_node("Concat", ["c", "d"], ["y"], axis=1, name="join")]
    value = lambda name: helper.make_tensor_value_info(name, TensorProto.FLOAT, None)  # noqa: E731
    graph = helper.make_graph(nodes, "g", [value("x")], [value("y")])
    assert output_layers(helper.make_model(graph)) == ["box", "cls"]
