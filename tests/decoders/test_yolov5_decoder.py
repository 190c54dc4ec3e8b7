"""The yolov5 decoder: how `decoder: auto` tells it from YOLOX, and val.py's post-processing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchgen.decoders import make_pipeline
from benchgen.decoders.onnx_info import OnnxInfo, TensorInfo, read_onnx_info
from benchgen.decoders.resolve import detect_decoder
from benchgen.decoders.yolov5 import upstream_scale_coords
from benchgen.errors import BenchgenError
from benchgen.measure.graph.model_files import resolve_model
from benchgen.pipeline import COCO_CATEGORY_IDS, ImageMeta
from benchgen.registry import load_registry
from tests.decoders.builders import constant_onnx, five_line_registry
from tests.measure.builders import SHARED

YOLOV5N = SHARED / "models" / "yolov5n" / "yolov5n_640_fp32.onnx"
YOLOX_NANO = SHARED / "models" / "yolox-nano" / "yolox_nano.onnx"


def _info(rows, size, width=85) -> OnnxInfo:
    return OnnxInfo(Path("model.onnx"), (TensorInfo("images", (1, 3, size, size)),),
                    (TensorInfo("output0", (1, rows, width)),))


@pytest.mark.parametrize("rows, size, decoder", [
    (25200, 640, "yolov5"), (8400, 640, "yolox"),  # 3 anchors per cell vs one box per cell
    (10647, 416, "yolov5"), (3549, 416, "yolox"),
    (102000, 1280, "yolov5"),  # P6: strides 8-64 at 1280
    (6300, 320, "yolov5"), (2100, 320, "yolox"),
])
def test_auto_tells_yolov5_from_yolox_by_the_row_count_the_graph_fixes(rows, size, decoder):
    assert detect_decoder(_info(rows, size), size) == decoder


def test_a_dynamic_row_count_is_recognised_by_neither_and_names_the_key_to_set():
    with pytest.raises(BenchgenError, match="recognises no format.*set `decoder:` in the registry to one of .*yolov5"):
        detect_decoder(_info("anchors", 640), 640)


def test_a_file_of_another_shape_does_not_fit_a_named_yolov5(tmp_path):
    path = constant_onnx(tmp_path / "t.onnx", {"output0": np.zeros((1, 85, 6300), np.float32)}, 320)
    registry = load_registry(five_line_registry(tmp_path / "reg", path, 320, decoder="yolov5"))
    with pytest.raises(BenchgenError, match="do not fit decoder 'yolov5'.*looks transposed"):
        resolve_model("mine-a", registry=registry)


def _row(box, obj, scores: dict[int, float], classes=80):
    row = np.zeros(5 + classes, np.float32)
    row[:4], row[4] = box, obj
    for c, s in scores.items():
        row[5 + c] = s
    return row


def _decode(rows, meta=None, **options):
    pipeline = make_pipeline("yolov5", 320, options=options)
    raw = np.zeros((1, 6300, 85), np.float32)
    raw[0, :len(rows)] = rows
    return pipeline.postprocess([raw], meta or ImageMeta(orig_width=320, orig_height=320))


def test_multi_label_objectness_times_class_and_class_wise_nms():
    rows = [_row((100, 100, 50, 50), 0.9, {0: 0.9, 2: 0.5}),  # two labels for one box: both kept
            _row((101, 101, 50, 50), 0.8, {0: 0.9}),  # same class, IoU > 0.65: suppressed
            _row((101, 101, 50, 50), 0.8, {5: 0.9}),  # other class at the same place: kept
            _row((200, 200, 20, 20), 0.002, {1: 0.4})]  # 0.0008 <= conf 0.001: dropped
    found = _decode(rows)
    got = sorted(zip(found.category_ids.tolist(), found.scores.tolist()))
    want = sorted([(COCO_CATEGORY_IDS[0], 0.81), (COCO_CATEGORY_IDS[2], 0.45), (COCO_CATEGORY_IDS[5], 0.72)])
    assert [c for c, _ in got] == [c for c, _ in want]
    assert [s for _, s in got] == pytest.approx([s for _, s in want])
    np.testing.assert_allclose(found.boxes[np.argmax(found.scores)], [75, 75, 125, 125])


def test_at_most_max_detections_best_first():
    rows = [_row((10 + 3 * i, 10, 2, 2), 0.9, {0: 0.01 * (i + 1)}) for i in range(90)]
    found = _decode(rows, max_detections=30)
    assert len(found.scores) == 30 and found.scores[0] == pytest.approx(0.9 * 0.9)
    assert found.scores.min() == pytest.approx(0.9 * 0.61)


def test_scale_back_keeps_val_py_unrounded_padding():
    """640 x 427 into 320: resized to 320 x 213 (int()), padded 53 on top (round(53.5 - 0.1)) but
    val.py's scale_coords subtracts 53.5 and divides by 213 / 427; with upstream_scale off the
    padding and ratio actually applied are used."""
    meta = ImageMeta(orig_width=640, orig_height=427, scale_x=0.5, scale_y=0.5, pad_x=0, pad_y=53)
    rows = [_row((160, 153.5, 20, 20), 0.9, {0: 0.9})]
    upstream = _decode(rows, meta)
    gain = 213 / 427  # val.py's ratio_pad[0][0]: the height's, for both axes
    np.testing.assert_allclose(upstream.boxes[0],
                               [150 / gain, (143.5 - 53.5) / gain, 170 / gain, (163.5 - 53.5) / gain], rtol=1e-5)
    exact = _decode(rows, meta, upstream_scale=False)
    np.testing.assert_allclose(exact.boxes[0], [300, (143.5 - 53) * 2, 340, (163.5 - 53) * 2], rtol=1e-5)
    np.testing.assert_allclose(upstream_scale_coords(np.array([[0, 53.5, 320, 266.5]], np.float32), meta, (320, 320)),
                               [[0, 0, 320 / gain, 427]], atol=1e-3)  # x too: clipping to 640 comes after


def test_a_preprocess_override_turns_the_upstream_scale_off():
    pipeline = make_pipeline("yolov5", 320, preprocess={"pad": "top-left"})
    assert "scale_back" not in pipeline.settings and pipeline.settings["pre_pad"] == "top-left"
    assert make_pipeline("yolov5", 320).settings["scale_back"].startswith("val.py scale_coords")


def test_the_shared_yolov5n_is_yolov5_and_yolox_nano_stays_yolox():
    for path, size, decoder in [(YOLOV5N, 640, "yolov5"), (YOLOX_NANO, 416, "yolox")]:
        if not path.is_file():
            pytest.skip(f"{path} not present")
        assert detect_decoder(read_onnx_info(path), size) == decoder
