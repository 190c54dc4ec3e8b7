"""Score detections with COCO's bbox evaluation, computed by faster-coco-eval.

The numbers are COCOeval's (pycocotools, the tool every published COCO mAP comes from): the same
matching, crowd and area-range rules, 101-point interpolation and 12 summary statistics. The engine
is faster-coco-eval, whose C++ implementation of COCOeval's evaluateImg/accumulate scores 5,000
images x 100 detections in seconds where pycocotools takes about a minute. pycocotools stays the
test oracle: tests/measure/test_engine_oracle.py holds the two to 1e-6 on all 12 numbers, on real
and on crafted edge-case data.

Detections are COCO's results format (image id, COCO category id, x, y, w, h in original-image
pixels, score), so that the same file could be scored by any COCO tool. The evaluation can be
limited to the images that were run, so that `--max-images` scores a subset instead of counting
every other image's objects as missed.
"""

from __future__ import annotations

import contextlib
import gc
from dataclasses import dataclass
from importlib import metadata

from faster_coco_eval import COCO, COCOeval_faster

from benchgen.pipeline import Detections

#: the scoring engine, as results and the `score` command name it
ENGINE = "faster-coco-eval"

#: COCOeval.stats in order, with the keys the results JSON uses.
STAT_NAMES: tuple[str, ...] = (
    "AP", "AP50", "AP75", "AP_small", "AP_medium", "AP_large",
    "AR_1", "AR_10", "AR_100", "AR_small", "AR_medium", "AR_large",
)

#: (AP or AR, IoU, area, maxDets) of each stat: the lines of pycocotools' COCOeval.summarize()
_SUMMARY_ROWS = (
    (1, "0.50:0.95", "all", 100), (1, "0.50", "all", 100), (1, "0.75", "all", 100),
    (1, "0.50:0.95", "small", 100), (1, "0.50:0.95", "medium", 100), (1, "0.50:0.95", "large", 100),
    (0, "0.50:0.95", "all", 1), (0, "0.50:0.95", "all", 10), (0, "0.50:0.95", "all", 100),
    (0, "0.50:0.95", "small", 100), (0, "0.50:0.95", "medium", 100), (0, "0.50:0.95", "large", 100),
)


def engine_version() -> str:
    return metadata.version(ENGINE)


def engine_label() -> str:
    """e.g. 'faster-coco-eval 1.8.0': what results record as the scoring engine."""
    return f"{ENGINE} {engine_version()}"


def to_coco_results(image_id: int, detections: Detections) -> list[dict]:
    """Rounded to 1/1000 px: beyond that JSON size grows and no IoU threshold can tell the difference."""
    results = []
    for (x1, y1, x2, y2), score, category in zip(detections.boxes.tolist(), detections.scores.tolist(),
                                                 detections.category_ids.tolist()):
        results.append({"image_id": int(image_id), "category_id": int(category),
                        "bbox": [round(x1, 3), round(y1, 3), round(x2 - x1, 3), round(y2 - y1, 3)],
                        "score": round(score, 6)})
    return results


def format_summary(stats: list[float]) -> str:
    """The 12 lines of pycocotools' COCOeval.summarize(), character for character."""
    lines = []
    for (ap, iou, area, max_dets), value in zip(_SUMMARY_ROWS, stats):
        title, kind = ("Average Precision", "(AP)") if ap else ("Average Recall", "(AR)")
        lines.append(f" {title:<18} {kind} @[ IoU={iou:<9} | area={area:>6s} | maxDets={max_dets:>3d} ] = {value:0.3f}")
    return "\n".join(lines)


@dataclass
class CocoScore:
    stats: list[float]  # COCOeval.stats, fractions 0-1 (-1 where COCO has nothing to score)
    summary: str  # COCOeval.summarize()'s 12 lines

    def named(self) -> dict[str, float]:
        return dict(zip(STAT_NAMES, self.stats))


def ground_truth_coco(data: dict) -> COCO:
    """The engine's COCO index of parsed annotation JSON (no copy; nothing printed)."""
    coco = COCO()
    coco.dataset = data
    coco.createIndex()
    return coco


def results_coco(coco_gt: COCO, results: list[dict], in_place: bool = False) -> COCO:
    """The detections as a COCO object, as `loadRes` builds one for boxes, in a fraction of its time.

    Each detection gets what `loadRes` gives it: an id (1, 2, ... in file order, which breaks score
    ties the same way) and area = w * h, the area the small/medium/large ranges judge a detection
    by. `loadRes` also writes a polygon of the box into every detection, which bbox evaluation never
    reads; that is left out, and so is everything else a detection carries (a stray "ignore" or
    "iscrowd" key must not change its score). `in_place` reuses the dicts of `results` (a parsed
    file's: a few hundred MB less for 500,000 detections); otherwise they are not modified.
    """
    annotations = results if in_place else [None] * len(results)
    for index, r in enumerate(results):
        if not in_place or len(r) != 4:
            r = {"image_id": r["image_id"], "category_id": r["category_id"], "bbox": r["bbox"], "score": r["score"]}
            annotations[index] = r
        r["id"] = index + 1
        r["area"] = r["bbox"][2] * r["bbox"][3]
    coco = COCO()
    coco.dataset = {"images": coco_gt.dataset["images"], "categories": coco_gt.dataset["categories"],
                    "annotations": annotations}
    coco.createIndex()
    return coco


@contextlib.contextmanager
def gc_paused():
    """No cyclic garbage collection while millions of dicts and lists are made and dropped.

    Reading, indexing and evaluating 500,000 detections allocates millions of containers, each
    allocation burst triggers a collection, and every full collection walks all of them again:
    about 15 % of `benchgen score`'s time on 5,000 images x 100 detections went to the collector,
    which finds nothing to free here. Reference counting still frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _BoxEval(COCOeval_faster):
    """COCOeval_faster with its IoU matrices handed to C++ as lists.

    computeIoU returns numpy arrays, which pybind11 converts to the C++ vectors element by element
    through Python; a list of float lists converts several times faster (about 1.7 s of 5.4 s on
    5,000 images x 100 detections). The values are the same doubles.
    """

    def computeIoU(self, imgId, catId):  # noqa: N802 - the engine's name
        ious = super().computeIoU(imgId, catId)
        return ious.tolist() if hasattr(ious, "tolist") else ious


def evaluate(coco_gt: COCO, coco_dt: COCO, image_ids: list[int] | None = None) -> CocoScore:
    """COCOeval (bbox, default parameters) over `image_ids`, or over every image of the annotations."""
    evaluator = _BoxEval(coco_gt, coco_dt, "bbox", print_function=lambda *args, **kwargs: None)
    if image_ids is not None:
        evaluator.params.imgIds = sorted(image_ids)
    with gc_paused():
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    stats = [float(s) for s in evaluator.stats[:len(STAT_NAMES)]]
    return CocoScore(stats=stats, summary=format_summary(stats))


def score_detections(coco_gt: COCO, results: list[dict], image_ids: list[int] | None = None) -> CocoScore:
    """Score COCO-format detections; none at all score 0 (not a crash), like any detector that finds nothing."""
    return evaluate(coco_gt, results_coco(coco_gt, results), image_ids)
