"""The one image transform, under each exporter's convention, checked pixel by pixel."""

from __future__ import annotations

import numpy as np
import pytest

from benchgen.decoders.preprocess import Convention, transform
from benchgen.decoders.ultralytics import ULTRALYTICS
from benchgen.decoders.yolox import YOLOX, YoloxPipeline, letterbox
from benchgen.measure.graph.model_files import resolve_model
from benchgen.registry import load_registry
from tests.decoders.builders import five_line_registry
from tests.measure.builders import YOLOX_NANO, require_shared


def _image(height, width):
    image = np.zeros((height, width, 3), np.uint8)
    image[..., 0], image[..., 1], image[..., 2] = 10, 20, 250  # B, G, R
    return image


def test_ultralytics_letterbox_centres_with_the_odd_pixel_at_the_bottom():
    tensor, meta = transform(_image(102, 200), (100, 100), ULTRALYTICS)
    # ratio 0.5 -> 100 x 51; 49 rows of padding: round(24.5 - 0.1) = 24 on top, 25 below
    assert meta.scale_x == meta.scale_y == 0.5 and (meta.pad_x, meta.pad_y) == (0, 24)
    assert tensor.shape == (1, 3, 100, 100)
    assert tensor[0, 0, 30, 0] == pytest.approx(250 / 255)  # channel 0 is red: RGB
    assert tensor[0, 2, 30, 0] == pytest.approx(10 / 255)
    column = tensor[0, 1, :, 0] * 255
    assert (column[:24] == pytest.approx(114)) and (column[24:75] == pytest.approx(20))
    assert column[75:] == pytest.approx(114)


def test_stretch_scales_each_axis_and_mean_std_apply_after_the_range():
    convention = Convention(resize="stretch", channels="bgr", pixel_range="0-255", mean=(10, 20, 30), std=(2, 2, 2))
    tensor, meta = transform(_image(50, 200), (100, 100), convention)
    assert (meta.scale_x, meta.scale_y, meta.pad_x, meta.pad_y) == (0.5, 2.0, 0, 0)
    assert tensor[0, :, 50, 50].tolist() == [0.0, 0.0, 110.0]


def test_the_yolox_convention_is_exactly_yolox_own_preprocessing():
    image = np.random.default_rng(0).integers(0, 256, (333, 500, 3), dtype=np.uint8)
    canvas, ratio = letterbox(image, (416, 416))
    tensor, meta = transform(image, (416, 416), YOLOX)
    np.testing.assert_array_equal(tensor[0].transpose(1, 2, 0), canvas.astype(np.float32))
    assert meta.scale_x == ratio and (meta.pad_x, meta.pad_y) == (0, 0)
    assert YoloxPipeline(416, convention=YOLOX).convention is None  # the default keeps the original code path
    overridden = YoloxPipeline(416, convention=YOLOX.override({"pad": "center"}))
    assert overridden.settings["pre_pad"] == "center"


def test_the_shared_yolox_nano_is_recognised_by_auto(tmp_path, monkeypatch):
    require_shared(YOLOX_NANO)
    monkeypatch.setenv("BENCHGEN_CACHE_DIR", str(tmp_path / "cache"))
    registry = load_registry(five_line_registry(tmp_path / "reg", YOLOX_NANO.resolve(), 416))
    model = resolve_model("mine-a", registry=registry)
    assert model.pipeline.settings["decoder"] == "yolox"
