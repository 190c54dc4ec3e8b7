"""One oracle per export format: a tiny ONNX whose constant output is one image's ground truth,
placed by hand exactly where that format's preprocessing puts it. Through the real path (five-line
registry, `decoder: auto` or a named decoder, letterbox/stretch, decoding, un-mapping, class map,
pycocotools) it must reach AP = 1.0; the same file read with a wrong convention must not.

The image is 640 x 480 and the network input 320: letterboxing scales by 0.5 to 320 x 240 and,
centred, pads 40 rows on top (Ultralytics); top-left pads none (YOLOX); stretching scales x by
0.5 and y by 320 / 480 (RT-DETR, DETR).
"""

from __future__ import annotations

import numpy as np
import pytest

from benchgen.decoders.grids import anchor_points
from benchgen.measure.accuracy.evaluate import evaluate_accuracy
from benchgen.registry import load_registry
from tests.decoders.builders import class_index, constant_onnx, five_line_registry

SIZE = 320
LETTERBOX_CENTRED = (0.5, 0.5, 0.0, 40.0)  # scale x, scale y, pad x, pad y
STRETCH = (0.5, SIZE / 480, 0.0, 0.0)
ULTRALYTICS_META = {"author": "Ultralytics", "task": "detect", "imgsz": f"[{SIZE}, {SIZE}]", "stride": 32}


def placed(truth, placement):
    """Ground-truth x1, y1, x2, y2 in network-input pixels under a (sx, sy, px, py) placement."""
    sx, sy, px, py = placement
    boxes = []
    for a in truth:
        x, y, w, h = a["bbox"]
        boxes.append([x * sx + px, y * sy + py, (x + w) * sx + px, (y + h) * sy + py])
    return np.array(boxes, dtype=np.float32)


def cxcywh(xyxy):
    return np.stack([(xyxy[:, 0] + xyxy[:, 2]) / 2, (xyxy[:, 1] + xyxy[:, 3]) / 2,
                     xyxy[:, 2] - xyxy[:, 0], xyxy[:, 3] - xyxy[:, 1]], axis=1)


def score(tmp_path, coco, onnx_path, **variant):
    registry = load_registry(five_line_registry(tmp_path / f"reg-{len(list(tmp_path.glob('reg-*')))}", onnx_path,
                                                SIZE, **variant))
    result = evaluate_accuracy("mine-a", images_dir=coco.images_dir, annotations=coco.annotations, max_images=1,
                               registry=registry, progress=False, use_cache=False)
    return result.metrics["map50_95"], result


def test_ultralytics_raw_head_oracle(tmp_path, one_image):
    coco, truth = one_image
    raw = np.zeros((1, 84, anchor_points(SIZE)), dtype=np.float32)
    boxes = cxcywh(placed(truth, LETTERBOX_CENTRED))
    for row, (a, box) in enumerate(zip(truth, boxes)):
        raw[0, :4, 100 * row] = box
        raw[0, 4 + class_index(a["category_id"]), 100 * row] = 0.9
        raw[0, 4 + class_index(a["category_id"]), 100 * row + 1] = 0.5  # a duplicate NMS must remove
        raw[0, :4, 100 * row + 1] = box + np.array([1, 1, 0, 0], np.float32)
    path = constant_onnx(tmp_path / "yolov8.onnx", {"output0": raw}, SIZE, ULTRALYTICS_META | {"end2end": "False"})
    ap, result = score(tmp_path, coco, path)
    assert ap == pytest.approx(100.0)
    assert result.settings["decoder"] == "ultralytics" and result.settings["pre_pad"] == "center"
    assert result.details["detections"] == 4
    wrong, _ = score(tmp_path, coco, path, preprocess={"pad": "top-left"})
    assert wrong < 50


def test_yolov5_anchor_head_oracle_from_a_five_line_yaml(tmp_path, one_image):
    """A YOLOv5/YOLOv7-format export (3 anchors per cell: 6300 rows at 320, cx, cy, w, h, objectness,
    80 classes) registers with the five lines alone: `decoder: auto` picks yolov5 by the row count."""
    coco, truth = one_image
    rows = np.zeros((1, 3 * anchor_points(SIZE), 85), dtype=np.float32)
    boxes = cxcywh(placed(truth, LETTERBOX_CENTRED))
    for i, (a, box) in enumerate(zip(truth, boxes)):
        row = 1000 * i
        rows[0, row, :4], rows[0, row, 4] = box, 0.95
        rows[0, row, 5 + class_index(a["category_id"])] = 0.9
        rows[0, row + 1, :4], rows[0, row + 1, 4] = box + np.array([1, 1, 0, 0], np.float32), 0.9
        rows[0, row + 1, 5 + class_index(a["category_id"])] = 0.5  # a duplicate NMS must remove
        rows[0, row + 2, :4], rows[0, row + 2, 4] = box + 20, 0.0005  # objectness under conf: never a candidate
        rows[0, row + 2, 5 + class_index(a["category_id"])] = 1.0
    path = constant_onnx(tmp_path / "yolov5.onnx", {"output0": rows}, SIZE)
    ap, result = score(tmp_path, coco, path)
    assert ap == pytest.approx(100.0)
    assert result.settings["decoder"] == "yolov5" and result.settings["decoder_chosen_by"] == "auto"
    assert result.settings["nms_iou"] == 0.65 and result.settings["pre_pad"] == "center"
    assert result.details["detections"] == 4
    wrong, _ = score(tmp_path, coco, path, preprocess={"pad": "top-left"})
    assert wrong < 50


def end2end_rows(truth) -> np.ndarray:
    """An end-to-end head's (1, 300, 6) output: the true boxes (x1, y1, x2, y2 in the centred
    letterbox), score 0.9 and their class index; every other row empty."""
    rows = np.zeros((1, 300, 6), dtype=np.float32)
    rows[0, :4, :4] = placed(truth, LETTERBOX_CENTRED)
    rows[0, :4, 4] = 0.9
    rows[0, :4, 5] = [class_index(a["category_id"]) for a in truth]
    return rows


def test_end_to_end_oracle(tmp_path, one_image):
    coco, truth = one_image
    rows = end2end_rows(truth)
    path = constant_onnx(tmp_path / "yolo26.onnx", {"output0": rows}, SIZE, ULTRALYTICS_META | {"end2end": "True"})
    ap, result = score(tmp_path, coco, path)
    assert ap == pytest.approx(100.0) and result.settings["decoder"] == "end2end"
    wrong, _ = score(tmp_path, coco, path, class_map="coco-ids")  # class index taken as the COCO id
    assert wrong < 50


def test_ultralytics_rtdetr_oracle_is_normalised_centre_format_on_a_stretched_image(tmp_path, one_image):
    coco, truth = one_image
    rows = np.zeros((1, 300, 84), dtype=np.float32)
    rows[0, :4, :4] = cxcywh(placed(truth, STRETCH)) / SIZE
    for i, a in enumerate(truth):
        rows[0, i, 4 + class_index(a["category_id"])] = 0.9
    path = constant_onnx(tmp_path / "rtdetr.onnx", {"output0": rows}, SIZE,
                         ULTRALYTICS_META | {"head": "RTDETRDecoder", "description": "Ultralytics RT-DETR-l model"})
    ap, result = score(tmp_path, coco, path)
    assert ap == pytest.approx(100.0) and result.settings["decoder"] == "ultralytics-rtdetr"
    assert result.settings["pre_resize"] == "stretch"
    wrong, _ = score(tmp_path, coco, path, preprocess={"resize": "letterbox"})
    assert wrong < 50


@pytest.mark.parametrize("activation", ["softmax", "sigmoid"])
def test_detr_style_oracle(tmp_path, one_image, activation):
    """softmax: 91 COCO-id classes + no-object (92 logits, original DETR); sigmoid: 80 classes."""
    coco, truth = one_image
    queries = 100
    classes = 92 if activation == "softmax" else 80
    logits = np.full((1, queries, classes), -10.0, dtype=np.float32)
    if activation == "softmax":
        logits[0, :, -1] = 10.0  # every unused query says "no object"
    boxes = np.full((1, queries, 4), 0.1, dtype=np.float32)
    boxes[0, :4] = cxcywh(placed(truth, STRETCH)) / SIZE
    for i, a in enumerate(truth):
        logits[0, i, a["category_id"] if activation == "softmax" else class_index(a["category_id"])] = 10.0
        logits[0, i, -1] = -10.0 if activation == "softmax" else logits[0, i, -1]
    path = constant_onnx(tmp_path / "detr.onnx", {"pred_logits": logits, "pred_boxes": boxes}, SIZE)
    ap, result = score(tmp_path, coco, path)
    assert ap == pytest.approx(100.0)
    assert result.settings["decoder"] == "detr" and result.settings["activation"] == activation
    assert result.settings["class_map"] == ("coco-ids" if activation == "softmax" else "coco80")
    # a 92-logit head indexes classes by COCO id; read as 80 contiguous classes every id shifts
    wrong, _ = score(tmp_path, coco, path, **({"class_map": "coco80"} if activation == "softmax"
                                             else {"preprocess": {"resize": "letterbox"}}))
    assert wrong < 50


def test_nms_in_graph_oracle_with_orig_target_sizes(tmp_path, one_image):
    """RT-DETRv2's official export: boxes come out in original pixels because the graph multiplies
    normalised boxes by the fed [w, h]; a feed of [h, w] or of the input size would misplace them."""
    coco, truth = one_image
    k = 300
    normalised = np.zeros((1, k, 4), dtype=np.float32)
    normalised[0, :4] = placed(truth, (1 / 640, 1 / 480, 0, 0))
    labels = np.zeros((1, k), dtype=np.int64)
    labels[0, :4] = [class_index(a["category_id"]) for a in truth]
    scores = np.zeros((1, k), dtype=np.float32)
    scores[0, :4] = 0.9
    path = constant_onnx(tmp_path / "rtdetrv2.onnx", {"labels": labels, "boxes": normalised, "scores": scores}, SIZE,
                         sizes_input="orig_target_sizes", scale_by_sizes="boxes")
    ap, result = score(tmp_path, coco, path)
    assert ap == pytest.approx(100.0)
    assert result.settings["decoder"] == "nms-in-graph" and result.settings["sizes_input"] == "orig_target_sizes"
    wrong, _ = score(tmp_path, coco, path, decoder_options={"boxes": "input-pixels"})
    assert wrong < 50


def test_nms_in_graph_oracle_in_input_pixels_without_a_batch_axis(tmp_path, one_image):
    """torchvision-style: (K, 4) boxes, (K,) scores and labels that already are COCO ids."""
    coco, truth = one_image
    boxes = np.concatenate([placed(truth, STRETCH), np.zeros((6, 4), np.float32)])
    labels = np.array([a["category_id"] for a in truth] + [1] * 6, dtype=np.int64)
    scores = np.array([0.9] * 4 + [0.0] * 6, dtype=np.float32)
    path = constant_onnx(tmp_path / "tv.onnx", {"boxes": boxes, "labels": labels, "scores": scores}, SIZE)
    ap, _ = score(tmp_path, coco, path, class_map="coco-ids")
    assert ap == pytest.approx(100.0)
    wrong, _ = score(tmp_path, coco, path)  # coco80 would read id 18 as class index 18
    assert wrong < 50


def test_a_half_precision_export_is_fed_float16(tmp_path, one_image):
    coco, truth = one_image
    rows = end2end_rows(truth)
    path = constant_onnx(tmp_path / "half.onnx", {"output0": rows}, SIZE, ULTRALYTICS_META | {"end2end": "True"},
                         half=True)
    ap, result = score(tmp_path, coco, path)
    assert ap == pytest.approx(100.0) and result.settings["input_dtype"] == "float16"
