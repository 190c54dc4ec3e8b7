"""Class-aware non-maximum suppression in NumPy.

Detectors' official evaluations call torchvision's NMS; benchgen must run the same post-processing on
ONNX Runtime and TensorRT outputs without torch, so this reproduces torchvision's semantics: greedy
in descending score order, a box is dropped when its IoU with a kept box of the same class is strictly
greater than the threshold, IoU = intersection / union with areas (x2 - x1) * (y2 - y1) (no +1), and
the result is ordered by descending score. Equal scores keep their input order (a stable sort).
"""

from __future__ import annotations

import numpy as np


def _as_boxes(boxes: np.ndarray) -> np.ndarray:
    boxes = np.asarray(boxes, dtype=np.float32)
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f"boxes must have shape (N, 4), got {boxes.shape}")
    return boxes


def box_iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of one x1,y1,x2,y2 box with each of `boxes`; 0 where the union is empty."""
    ix1 = np.maximum(box[0], boxes[:, 0])
    iy1 = np.maximum(box[1], boxes[:, 1])
    ix2 = np.minimum(box[2], boxes[:, 2])
    iy2 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(ix2 - ix1, 0, None) * np.clip(iy2 - iy1, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    union = area + areas - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = np.where(union > 0, inter / union, 0.0)
    return iou


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float, max_keep: int | None = None) -> np.ndarray:
    """Indices of the boxes greedy NMS keeps, highest score first (at most `max_keep` of them).

    Stopping after `max_keep` survivors is exact: greedy NMS never revisits a kept box, so the first
    `max_keep` survivors do not depend on what comes after them.
    """
    boxes = _as_boxes(boxes)
    scores = np.asarray(scores, dtype=np.float32).reshape(-1)
    order = np.argsort(-scores, kind="stable")
    keep: list[int] = []
    while order.size and (max_keep is None or len(keep) < max_keep):
        i = order[0]
        keep.append(int(i))
        rest = order[1:]
        order = rest[box_iou(boxes[i], boxes[rest]) <= iou_threshold]
    return np.asarray(keep, dtype=np.int64)


def batched_nms(boxes: np.ndarray, scores: np.ndarray, class_ids: np.ndarray, iou_threshold: float,
                max_keep: int | None = None) -> np.ndarray:
    """Per-class NMS (boxes of different classes never suppress each other), like torchvision's
    batched_nms: kept indices ordered by descending score, at most `max_keep` of them."""
    boxes = _as_boxes(boxes)
    scores = np.asarray(scores, dtype=np.float32).reshape(-1)
    class_ids = np.asarray(class_ids).reshape(-1)
    if not (len(boxes) == len(scores) == len(class_ids)):
        raise ValueError("boxes, scores and class_ids must have the same length")
    if max_keep is not None and len(boxes) > max_keep:
        return _top_kept(boxes, scores, class_ids, iou_threshold, max_keep)
    kept = []
    for cls in np.unique(class_ids):
        members = np.flatnonzero(class_ids == cls)
        # No class can contribute more than max_keep boxes to the overall top max_keep.
        kept.append(members[nms(boxes[members], scores[members], iou_threshold, max_keep)])
    if not kept:
        return np.zeros(0, dtype=np.int64)
    kept_all = np.concatenate(kept)
    # Among equal scores, the lower input index first (what a stable sort of the input would give).
    kept_all = np.sort(kept_all)
    kept_all = kept_all[np.argsort(-scores[kept_all], kind="stable")]
    return kept_all[:max_keep] if max_keep is not None else kept_all


def _top_kept(boxes: np.ndarray, scores: np.ndarray, class_ids: np.ndarray, iou_threshold: float,
              max_keep: int) -> np.ndarray:
    """batched_nms's first `max_keep` survivors from one greedy pass over all classes at once.

    Per-class greedy NMS keeps a box when no earlier-kept box of its class overlaps it; walking all
    candidates in the final order (descending score, lower index first) and testing only against
    the same class makes the same decisions, in the output's order, so the pass can stop at
    `max_keep` survivors. With a few thousand candidates over 80 classes (a GFL head at score
    > 0.025) that is 100 steps instead of a full NMS of every class.
    """
    order = np.argsort(-scores, kind="stable")
    sorted_classes = class_ids[order]
    # positions (in `order`) of each class's candidates, ascending
    grouped = np.argsort(sorted_classes, kind="stable")
    starts = np.flatnonzero(np.r_[True, sorted_classes[grouped][1:] != sorted_classes[grouped][:-1]])
    members = dict(zip(sorted_classes[grouped][starts].tolist(), np.split(grouped, starts[1:])))
    alive = np.ones(len(order), dtype=bool)
    keep: list[int] = []
    pos = 0
    while len(keep) < max_keep:
        while pos < len(order) and not alive[pos]:
            pos += 1
        if pos == len(order):
            break
        keep.append(int(order[pos]))
        later = members[sorted_classes[pos].item()]
        later = later[later > pos]
        later = later[alive[later]]
        if later.size:
            alive[later[box_iou(boxes[order[pos]], boxes[order[later]]) > iou_threshold]] = False
        pos += 1
    return np.asarray(keep, dtype=np.int64)


def multiclass_nms(boxes: np.ndarray, class_scores: np.ndarray, score_threshold: float, iou_threshold: float,
                   max_detections: int, *, inclusive: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Score threshold over every (box, class) pair, per-class NMS, then the top `max_detections`.

    `boxes` (N, 4) are shared by all classes; `class_scores` is (N, C). A box can survive for several
    classes. The threshold is strict (`score > t`, as DAMO-YOLO's multiclass_nms) unless `inclusive`
    (`score >= t`). Returns boxes (K, 4) float32, scores (K,) float32, class indices (K,) int64,
    ordered by descending score.
    """
    boxes = _as_boxes(boxes)
    class_scores = np.asarray(class_scores, dtype=np.float32)
    if class_scores.ndim != 2 or class_scores.shape[0] != boxes.shape[0]:
        raise ValueError(f"class_scores must have shape (N, C) with N = {boxes.shape[0]}, got {class_scores.shape}")
    mask = class_scores >= score_threshold if inclusive else class_scores > score_threshold
    box_idx, cls_idx = np.nonzero(mask)  # row-major: box order, then class order
    scores = class_scores[box_idx, cls_idx]
    keep = batched_nms(boxes[box_idx], scores, cls_idx, iou_threshold, max_keep=max_detections)
    return boxes[box_idx[keep]], scores[keep], cls_idx[keep].astype(np.int64)
