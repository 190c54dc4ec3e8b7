"""decoder: auto and the checks of a bring-your-own file against its registry entry."""

from __future__ import annotations

import numpy as np
import pytest

from benchgen.errors import BenchgenError, RegistryError
from benchgen.measure.graph.model_files import resolve_model
from benchgen.registry import load_registry
from tests.decoders.builders import constant_onnx, five_line_registry
from tests.measure.builders import SHARED

ULTRALYTICS = SHARED / "models" / "ultralytics-random"


def _one_output(tmp_path, shape, name="out.onnx", size=64, **kw):
    return constant_onnx(tmp_path / name, {"output0": np.zeros(shape, np.float32)}, size, **kw)


def test_shared_ultralytics_exports_are_recognised_from_their_metadata(tmp_path):
    for name, decoder in [("yolov8n.onnx", "ultralytics"), ("yolo26n-e2e.onnx", "end2end")]:
        path = ULTRALYTICS / name
        if not path.is_file():
            pytest.skip(f"{path} not present")
        registry = load_registry(five_line_registry(tmp_path / name, path, 640))
        model = resolve_model("mine-a", registry=registry)
        assert model.pipeline.settings["decoder"] == decoder
        assert model.pipeline.settings["decoder_chosen_by"] == "auto"
        assert model.pipeline.settings["pre_channels"] == "rgb" and model.pipeline.settings["pre_pad_value"] == 114


def test_same_shape_without_metadata_fails_at_registry_load_naming_candidates_and_key(tmp_path):
    path = _one_output(tmp_path, (1, 300, 6))
    with pytest.raises(RegistryError) as info:
        load_registry(five_line_registry(tmp_path / "reg", path, 64))
    message = str(info.value)
    assert "mine.yaml" in message and "end2end and ultralytics-rtdetr" in message and "decoder: end2end" in message
    registry = load_registry(five_line_registry(tmp_path / "reg2", path, 64, decoder="ultralytics-rtdetr"))
    assert resolve_model("mine-a", registry=registry).pipeline.settings["decoder"] == "ultralytics-rtdetr"


def test_unknown_decoder_and_unknown_option_fail_at_registry_load(tmp_path):
    path = _one_output(tmp_path, (1, 300, 6))
    with pytest.raises(RegistryError, match=r"unknown decoder 'yolo-v99'; known: auto, ultralytics, end2end"):
        load_registry(five_line_registry(tmp_path / "a", tmp_path / "absent.onnx", 64, decoder="yolo-v99"))
    with pytest.raises(RegistryError, match=r"decoder_options nms_iuo .*'end2end' has no such option"):
        load_registry(five_line_registry(tmp_path / "b", path, 64, decoder="end2end",
                                         decoder_options={"nms_iuo": 0.5}))


@pytest.mark.parametrize("content", [b"this is not a model\n", bytes(range(256)) * 40])
def test_a_file_that_is_not_onnx_is_one_line_naming_it(tmp_path, content):
    path = tmp_path / "model.onnx"
    path.write_bytes(content)
    registry = load_registry(five_line_registry(tmp_path / "reg", path, 64, decoder="end2end"))
    with pytest.raises(BenchgenError) as info:
        resolve_model("mine-a", registry=registry)
    message = str(info.value)
    assert str(path) in message and "not a" in message and "\n" not in message


def test_a_640_graph_registered_at_416_is_refused(tmp_path):
    path = _one_output(tmp_path, (1, 300, 6), size=640)
    registry = load_registry(five_line_registry(tmp_path / "reg", path, 416, decoder="end2end"))
    with pytest.raises(BenchgenError, match="takes 640x640 images but the registry says input_size 416; "
                                            "set input_size: 640"):
        resolve_model("mine-a", registry=registry)


def test_size_never_records_a_640_graph_at_416(tmp_path):
    from benchgen.measure.graph.size import measure_size

    path = _one_output(tmp_path, (1, 300, 6), size=640)
    registry = load_registry(five_line_registry(tmp_path / "reg", path, 416, decoder="end2end"))
    with pytest.raises(BenchgenError, match="input_size 416"):
        measure_size("mine-a", registry=registry)


def test_outputs_that_do_not_fit_the_named_decoder(tmp_path):
    path = _one_output(tmp_path, (1, 300, 6))
    registry = load_registry(five_line_registry(tmp_path / "reg", path, 64, decoder="detr"))
    with pytest.raises(BenchgenError, match="do not fit decoder 'detr': expects two rank-3 outputs"):
        resolve_model("mine-a", registry=registry)


def test_ultralytics_segmentation_export_is_refused_by_name(tmp_path):
    path = _one_output(tmp_path, (1, 116, 84), metadata={"author": "Ultralytics", "task": "segment"})
    with pytest.raises(RegistryError, match="Ultralytics 'segment' export"):
        load_registry(five_line_registry(tmp_path / "reg", path, 64))


def test_nothing_recognised_names_the_known_decoders(tmp_path):
    path = constant_onnx(tmp_path / "odd.onnx", {"a": np.zeros((7,), np.float32)}, 64)
    with pytest.raises(RegistryError, match="recognises no format.*set `decoder:` in the registry to one of"):
        load_registry(five_line_registry(tmp_path / "reg", path, 64))
