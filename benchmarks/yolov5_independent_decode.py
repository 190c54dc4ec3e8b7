"""An independent YOLOv5n evaluation, written from the ultralytics/yolov5 validation code, to hold
`benchgen eval yolov5-n` against.

    python benchmarks/yolov5_independent_decode.py [--images DIR] [--annotations FILE] [--onnx FILE]

Shares no code with benchgen's pipeline. It follows what `val.py --img 640 --conf 0.001 --iou 0.65`
does for an ONNX backend (rect off):
- `LoadImagesAndLabels.load_image`: r = 640 / max(h, w); if r != 1 resize to (int(w * r), int(h * r)),
  INTER_LINEAR when enlarging, INTER_AREA when shrinking;
- `letterbox(auto=False, scaleup=False)`: pad to 640 x 640 with 114, centred, top/left =
  round(d - 0.1), bottom/right = round(d + 0.1); BGR -> RGB, / 255;
- `non_max_suppression(multi_label=True, max_det=300)`: objectness > conf, conf = obj * cls, every
  (box, class) above conf, at most 30000 by score, then ONE greedy NMS over boxes offset by
  class * 7680 (upstream's trick for class-wise NMS, where benchgen loops per class), 300 kept;
- `scale_coords` with the loader's ratio (resized h / original h) and padding, then clipped;
- `coco80_to_coco91_class` as the sorted annotation category ids; boxes xyxy -> xywh;
- pycocotools' COCOeval (benchgen scores with faster-coco-eval).

Prints its mAP beside `benchgen eval`'s (run in a subprocess, cache off) and how many detections
the two share. Not a unit test: it needs ../shared/ and takes about a minute on 2 cores.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
ONNX = SHARED / "models/yolov5n/yolov5n_640_fp32.onnx"
SIZE, CONF, IOU, MAX_DET, MAX_NMS, MAX_WH = 640, 0.001, 0.65, 300, 30000, 7680


def load_and_letterbox(path: Path):
    im = cv2.imread(str(path))  # BGR
    h0, w0 = im.shape[:2]
    r = SIZE / max(h0, w0)
    if r != 1:
        im = cv2.resize(im, (int(w0 * r), int(h0 * r)), interpolation=cv2.INTER_LINEAR if r > 1 else cv2.INTER_AREA)
    h, w = im.shape[:2]
    r2 = min(min(SIZE / h, SIZE / w), 1.0)  # scaleup=False
    new_w, new_h = int(round(w * r2)), int(round(h * r2))
    dw, dh = (SIZE - new_w) / 2, (SIZE - new_h) / 2
    if (w, h) != (new_w, new_h):
        im = cv2.resize(im, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    top, bottom = int(round(dh - 0.1)), int(round(dh + 0.1))
    left, right = int(round(dw - 0.1)), int(round(dw + 0.1))
    im = cv2.copyMakeBorder(im, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(114, 114, 114))
    tensor = np.ascontiguousarray(im[:, :, ::-1].transpose(2, 0, 1))[None].astype(np.float32) / 255.0
    # val.py's `shapes`: (h0, w0), ((h / h0, w / w0), (dw, dh)), and scale_coords uses gain = ratio[0]
    return tensor, (h0, w0), (h / h0 * r2, (dw, dh))


def greedy_nms(boxes, scores, iou):
    order = scores.argsort()[::-1]
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    keep = []
    while order.size:
        i = order[0]
        keep.append(i)
        xx1 = np.maximum(boxes[i, 0], boxes[order[1:], 0])
        yy1 = np.maximum(boxes[i, 1], boxes[order[1:], 1])
        xx2 = np.minimum(boxes[i, 2], boxes[order[1:], 2])
        yy2 = np.minimum(boxes[i, 3], boxes[order[1:], 3])
        inter = np.maximum(0, xx2 - xx1) * np.maximum(0, yy2 - yy1)
        ious = inter / (areas[i] + areas[order[1:]] - inter)
        order = order[1:][ious <= iou]
    return np.array(keep, dtype=np.int64)


def non_max_suppression(pred):
    x = pred[pred[:, 4] > CONF]
    x = x.copy()
    x[:, 5:] *= x[:, 4:5]
    box = np.empty((len(x), 4), np.float32)
    box[:, 0], box[:, 1] = x[:, 0] - x[:, 2] / 2, x[:, 1] - x[:, 3] / 2
    box[:, 2], box[:, 3] = x[:, 0] + x[:, 2] / 2, x[:, 1] + x[:, 3] / 2
    i, j = np.nonzero(x[:, 5:] > CONF)
    det = np.concatenate([box[i], x[i, 5 + j, None], j[:, None].astype(np.float32)], 1)
    if len(det) > MAX_NMS:
        det = det[det[:, 4].argsort()[::-1][:MAX_NMS]]
    keep = greedy_nms(det[:, :4] + det[:, 5:6] * MAX_WH, det[:, 4], IOU)[:MAX_DET]
    return det[keep]


def independent_map(onnx_path, images_dir, annotations):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(str(annotations))
    cat_ids = sorted(gt.getCatIds())
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    results = []
    for image_id in sorted(gt.getImgIds()):
        info = gt.loadImgs(image_id)[0]
        tensor, (h0, w0), (gain, (pw, ph)) = load_and_letterbox(Path(images_dir) / info["file_name"])
        det = non_max_suppression(session.run(None, {name: tensor})[0][0])
        boxes = det[:, :4].copy()
        boxes[:, [0, 2]] = ((boxes[:, [0, 2]] - pw) / gain).clip(0, w0)
        boxes[:, [1, 3]] = ((boxes[:, [1, 3]] - ph) / gain).clip(0, h0)
        for b, score, c in zip(boxes, det[:, 4], det[:, 5]):
            results.append({"image_id": image_id, "category_id": cat_ids[int(c)],
                            "bbox": [round(float(v), 3) for v in (b[0], b[1], b[2] - b[0], b[3] - b[1])],
                            "score": round(float(score), 5)})
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


def shared_detections(a, b, tolerance=0.5):
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
    parser.add_argument("--onnx", type=Path, default=ONNX)
    parser.add_argument("--variant", default="yolov5-n")
    args = parser.parse_args()
    ours, ours_dets = independent_map(args.onnx, args.images, args.annotations)
    theirs, their_dets = benchgen_map(args.variant, args.images, args.annotations)
    shared = shared_detections(ours_dets, their_dets)
    print(f"independent decode (pycocotools): mAP50-95 {ours:.2f} ({len(ours_dets)} detections)")
    print(f"benchgen eval {args.variant} (faster-coco-eval): mAP50-95 {theirs:.2f} ({len(their_dets)} detections)")
    print(f"difference {theirs - ours:+.2f} AP; {shared} of the independent detections found in benchgen's")
    return 0 if abs(theirs - ours) <= 0.5 else 1


if __name__ == "__main__":
    sys.exit(main())
