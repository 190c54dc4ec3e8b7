"""Score detections with pycocotools' COCOeval, the tool every published COCO mAP comes from.

Detections become COCO's results format (image id, COCO category id, x, y, w, h in original-image
pixels, score) so that the same file could be scored by any COCO tool. The evaluation is limited to
the images that were run, so that `--max-images` scores a subset instead of counting every other
image's objects as missed.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass

from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from benchgen.pipeline import Detections

#: COCOeval.stats in order, with the keys the results JSON uses.
STAT_NAMES: tuple[str, ...] = (
    "AP", "AP50", "AP75", "AP_small", "AP_medium", "AP_large",
    "AR_1", "AR_10", "AR_100", "AR_small", "AR_medium", "AR_large",
)


def to_coco_results(image_id: int, detections: Detections) -> list[dict]:
    """Rounded to 1/1000 px: beyond that JSON size grows and no IoU threshold can tell the difference."""
    results = []
    for (x1, y1, x2, y2), score, category in zip(detections.boxes.tolist(), detections.scores.tolist(),
                                                 detections.category_ids.tolist()):
        results.append({"image_id": int(image_id), "category_id": int(category),
                        "bbox": [round(x1, 3), round(y1, 3), round(x2 - x1, 3), round(y2 - y1, 3)],
                        "score": round(score, 6)})
    return results


@dataclass
class CocoScore:
    stats: list[float]  # COCOeval.stats, fractions 0-1 (-1 where COCO has nothing to score)
    summary: str  # COCOeval.summarize()'s 12 lines

    def named(self) -> dict[str, float]:
        return dict(zip(STAT_NAMES, self.stats))


def _empty_results(coco_gt: COCO) -> COCO:
    """`loadRes` cannot take an empty list; a detector that finds nothing must still score 0, not crash."""
    results = COCO()
    results.dataset = {"images": list(coco_gt.dataset["images"]), "categories": list(coco_gt.dataset["categories"]),
                       "annotations": []}
    with contextlib.redirect_stdout(io.StringIO()):
        results.createIndex()
    return results


def score_detections(coco_gt: COCO, results: list[dict], image_ids: list[int]) -> CocoScore:
    quiet = io.StringIO()
    with contextlib.redirect_stdout(quiet):
        # loadRes adds id/area/segmentation to the dicts it gets: give it copies.
        coco_dt = coco_gt.loadRes([dict(r) for r in results]) if results else _empty_results(coco_gt)
        evaluator = COCOeval(coco_gt, coco_dt, "bbox")
        evaluator.params.imgIds = sorted(image_ids)
        evaluator.evaluate()
        evaluator.accumulate()
    summary = io.StringIO()
    with contextlib.redirect_stdout(summary):
        evaluator.summarize()
    return CocoScore(stats=[float(s) for s in evaluator.stats], summary=summary.getvalue().rstrip("\n"))
