"""An independent NanoDet-m / PP-PicoDet-S evaluation, written from the upstream post-processing,
to hold `benchgen eval` against.

    python benchmarks/gfl_independent_decode.py [--images DIR] [--annotations FILE] [--format nanodet|picodet|both]

Shares no code with benchgen's pipeline: its own image reading and preprocessing (NanoDet's
`get_resize_matrix` + `cv2.warpPerspective`; PaddleDetection's `Resize(interp=2, keep_ratio=False)`
as `cv2.resize(..., INTER_CUBIC)` and `NormalizeImage`), its own level pairing (by the exporters'
output names, not by shape), GFL decode (softmax, expectation, stride, cell centre + 0.5), its own
per-class NMS loop, the exporters' NMS settings (NanoDet: per-level top 1000, score > 0.05,
IoU 0.6, 100 per image, boxes clipped to the input then warped back and clipped to the image;
PicoDet: score > 0.025, top 1000 per class, IoU 0.6, keep_top_k 100, no clipping), and
pycocotools' COCOeval instead of faster-coco-eval. ONNX Runtime is given the file as it is.

Prints its mAP beside `benchgen eval`'s (run in a subprocess, cache off) and how many detections
the two share. Not a unit test: it needs ../shared/ and takes about half a minute per model.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
MODELS = {"nanodet": ("nanodet-m-320", SHARED / "models/nanodet-m/nanodet_m_320.onnx"),
          "picodet": ("picodet-s-320", SHARED / "models/picodet-s/picodet_s_320_coco.onnx")}


def nanodet_input(image):
    h, w = image.shape[:2]
    ratio = 320 / h if w / h < 1 else 320 / w
    c = np.array([[1, 0, -w / 2], [0, 1, -h / 2], [0, 0, 1]], dtype=np.float64)
    r = np.diag([ratio, ratio, 1.0])
    t = np.array([[1, 0, 160], [0, 1, 160], [0, 0, 1]], dtype=np.float64)
    m = t @ r @ c
    warped = cv2.warpPerspective(image, m, dsize=(320, 320)).astype(np.float32)
    warped = (warped - np.array([103.53, 116.28, 123.675], np.float32)) / np.array([57.375, 57.12, 58.395], np.float32)
    return warped.transpose(2, 0, 1)[None], m


def picodet_input(image):
    h, w = image.shape[:2]
    rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    resized = cv2.resize(rgb, (320, 320), interpolation=cv2.INTER_CUBIC).astype(np.float32) / 255.0
    resized = (resized - np.array([0.485, 0.456, 0.406], np.float32)) / np.array([0.229, 0.224, 0.225], np.float32)
    return resized.transpose(2, 0, 1)[None], (320 / h, 320 / w)


def iou_one(box, others):
    x1 = np.maximum(box[0], others[:, 0]); y1 = np.maximum(box[1], others[:, 1])
    x2 = np.minimum(box[2], others[:, 2]); y2 = np.minimum(box[3], others[:, 3])
    inter = np.maximum(0, x2 - x1) * np.maximum(0, y2 - y1)
    area = lambda b: (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])  # noqa: E731
    return inter / np.maximum(area(box) + area(others) - inter, 1e-12)


def nms_one_class(boxes, scores, threshold):
    order = list(np.argsort(-scores, kind="stable"))
    keep = []
    while order:
        i = order.pop(0)
        keep.append(i)
        if order:
            rest = np.array(order)
            order = list(rest[iou_one(boxes[i], boxes[rest]) <= threshold])
    return keep


def gfl_levels(outputs, names, fmt):
    """[(stride, scores (N, 80), boxes (N, 4))] in input pixels, paired by the exporter's names."""
    by_name = dict(zip(names, outputs))
    if fmt == "nanodet":
        pairs = [(s, by_name[f"cls_pred_stride_{s}"], by_name[f"dis_pred_stride_{s}"]) for s in (8, 16, 32)]
    else:  # paddle2onnx numbers the class maps 0-3, then the box maps 4-7
        index = {int(re.search(r"scale_(\d+)", n).group(1)): n for n in names}
        pairs = [(s, by_name[index[i]], by_name[index[i + 4]]) for i, s in enumerate((8, 16, 32, 64))]
    levels = []
    for stride, cls, dis in pairs:
        side = 320 // stride
        cls = cls.reshape(-1, 80)
        dis = dis.reshape(-1, 4, 8)
        p = np.exp(dis - dis.max(-1, keepdims=True))
        p /= p.sum(-1, keepdims=True)
        d = (p * np.arange(8)).sum(-1) * stride
        ys, xs = np.divmod(np.arange(side * side), side)
        cx, cy = (xs + 0.5) * stride, (ys + 0.5) * stride
        boxes = np.stack([cx - d[:, 0], cy - d[:, 1], cx + d[:, 2], cy + d[:, 3]], 1)
        levels.append((stride, cls, boxes))
    return levels


def detect(session, names, image, fmt):
    h, w = image.shape[:2]
    tensor, undo = nanodet_input(image) if fmt == "nanodet" else picodet_input(image)
    outputs = session.run(None, {session.get_inputs()[0].name: tensor.astype(np.float32)})
    levels = gfl_levels(outputs, names, fmt)
    if fmt == "nanodet":
        boxes, scores = [], []
        for _, cls, b in levels:
            if len(cls) > 1000:
                top = np.argsort(-cls.max(1))[:1000]
                cls, b = cls[top], b[top]
            boxes.append(np.clip(b, 0, 320)); scores.append(cls)
        boxes, scores = np.concatenate(boxes), np.concatenate(scores)
        threshold, per_class_top = 0.05, None
    else:
        boxes = np.concatenate([b for _, _, b in levels])
        scores = np.concatenate([c for _, c, _ in levels])
        threshold, per_class_top = 0.025, 1000
    found = []
    for c in range(80):
        idx = np.where(scores[:, c] > threshold)[0]
        if per_class_top:
            idx = idx[np.argsort(-scores[idx, c], kind="stable")[:per_class_top]]
        for k in nms_one_class(boxes[idx], scores[idx, c], 0.6):
            found.append((float(scores[idx[k], c]), c, boxes[idx[k]]))
    found.sort(key=lambda f: -f[0])
    found = found[:100]
    out = []
    for score, c, b in found:
        if fmt == "nanodet":
            inv = np.linalg.inv(undo)
            corners = np.array([[b[0], b[1], 1], [b[2], b[3], 1], [b[0], b[3], 1], [b[2], b[1], 1]]) @ inv.T
            xy = corners[:, :2] / corners[:, 2:3]
            x1, y1 = np.clip(xy[:, 0].min(), 0, w), np.clip(xy[:, 1].min(), 0, h)
            x2, y2 = np.clip(xy[:, 0].max(), 0, w), np.clip(xy[:, 1].max(), 0, h)
        else:
            sy, sx = undo
            x1, y1, x2, y2 = b[0] / sx, b[1] / sy, b[2] / sx, b[3] / sy
        out.append((score, c, (float(x1), float(y1), float(x2 - x1), float(y2 - y1))))
    return out


def independent_map(fmt, images_dir, annotations):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(str(annotations))
    cat_ids = sorted(gt.getCatIds())
    options = ort.SessionOptions()
    options.log_severity_level = 3  # the per-initializer warnings of the old exporters
    session = ort.InferenceSession(str(MODELS[fmt][1]), options, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    results = []
    for image_id in sorted(gt.getImgIds()):
        info = gt.loadImgs(image_id)[0]
        image = cv2.imread(str(Path(images_dir) / info["file_name"]), cv2.IMREAD_COLOR)
        for score, c, bbox in detect(session, names, image, fmt):
            results.append({"image_id": image_id, "category_id": cat_ids[c], "bbox": [round(v, 3) for v in bbox],
                            "score": round(score, 6)})
    with contextlib.redirect_stdout(io.StringIO()):
        ev = COCOeval(gt, gt.loadRes(results), "bbox")
        ev.evaluate(); ev.accumulate(); ev.summarize()
    return ev.stats[0] * 100, results


def benchgen_map(variant, images_dir, annotations):
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([sys.executable, "-m", "benchgen", "eval", variant, "--json", "--no-cache", "--no-progress",
                              "--results", tmp, "--images", str(images_dir), "--annotations", str(annotations)],
                             capture_output=True, text=True, check=True, cwd=ROOT)
    result = json.loads(out.stdout)
    detections = json.loads(Path(result["details"]["detections_file"]).read_text())
    return result["metrics"]["map50_95"], detections


def shared_detections(a, b, tolerance=0.01):
    """Detections of `a` that `b` also has: same image and class, score within 1e-4, box within `tolerance` px."""
    index = {}
    for d in b:
        index.setdefault((d["image_id"], d["category_id"]), []).append(d)
    same = 0
    for d in a:
        for e in index.get((d["image_id"], d["category_id"]), []):
            if abs(d["score"] - e["score"]) < 1e-4 and max(abs(x - y) for x, y in zip(d["bbox"], e["bbox"])) < tolerance:
                same += 1
                break
    return same


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=Path, default=SHARED / "datasets/coco-val2017-tiny80/val2017")
    parser.add_argument("--annotations", type=Path,
                        default=SHARED / "datasets/coco-val2017-tiny80/annotations/instances_val2017.json")
    parser.add_argument("--format", choices=["nanodet", "picodet", "both"], default="both")
    args = parser.parse_args()
    for fmt in (["nanodet", "picodet"] if args.format == "both" else [args.format]):
        ours, ours_dets = independent_map(fmt, args.images, args.annotations)
        theirs, their_dets = benchgen_map(MODELS[fmt][0], args.images, args.annotations)
        same = shared_detections(ours_dets, their_dets)
        print(f"{MODELS[fmt][0]}: independent decode + pycocotools {ours:.2f} mAP, benchgen eval {theirs:.2f} "
              f"(difference {theirs - ours:+.3f}); detections {len(ours_dets)} vs {len(their_dets)}, "
              f"{same} of the independent ones also in benchgen's (same image, class, score to 1e-4, box to 0.01 px)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
