"""How far a subset's mAP could move with the images drawn: a bootstrap interval over images.

An mAP on 80 images is one draw (YOLOX-Nano: 30.7 on tiny80, 25.8 on val2017), so a page that
shows it must also show how much another draw of as many images would move it. The interval is a
percentile bootstrap: draw the subset's images with replacement, re-score the drawn set with the
engine, repeat (300 times, fixed seed), and take the 2.5th and 97.5th percentiles. An image drawn
twice counts twice (its objects and its detections), as two copies of it would.

Re-scoring does not re-run COCOeval's per-image matching. faster-coco-eval's `evaluate()` (with
`separate_eval`) keeps one evaluation per (category, area range, image) — matches, scores, ignore
flags, exactly what pycocotools' `evaluateImg` returns — and its C++ `accumulate` turns any list
of them into the precision table. A resample is that list with its images' entries repeated as
drawn, which is exact: it gives the same mAP as scoring a ground truth and detections in which
every drawn image is a renumbered copy (tests/measure/test_bootstrap.py checks both on real
detections), and it costs one accumulate (about 20 ms on 80 images) instead of a whole evaluation.
Only the mAP@[.5:.95] cell (area all, 100 detections) is accumulated.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import faster_coco_eval.faster_eval_api_cpp as _engine

from benchgen.measure.accuracy.coco_eval import _BoxEval, gc_paused, results_coco

RESAMPLES = 300
SEED = 0
LEVEL = 0.95
#: how results name the method (the methodology page says the same)
METHOD = "percentile bootstrap over images"


@dataclass(frozen=True)
class Interval:
    low: float  # AP percent
    high: float
    resamples: int
    seed: int
    level: float
    images: int
    std: float

    def as_dict(self) -> dict:
        return {"method": METHOD, "low": self.low, "high": self.high, "level": self.level,
                "resamples": self.resamples, "seed": self.seed, "images": self.images, "std": self.std,
                "computed_from": "the engine's per-image evaluations, re-accumulated per resample"}


def map_of(precision: np.ndarray) -> float:
    """COCOeval's summarize() for AP@[.5:.95]: the mean over IoUs, recalls and categories with ground truth."""
    cells = precision[:, :, :, 0, -1]
    cells = cells[cells > -1]
    return float(cells.mean()) if cells.size else -1.0


class PerImageEvaluation:
    """One evaluation of a detections list, kept per image, re-accumulated for any multiset of its images."""

    def __init__(self, coco_gt, results: list[dict], image_ids: list[int]) -> None:
        evaluator = _BoxEval(coco_gt, results_coco(coco_gt, results), "bbox", separate_eval=True,
                             print_function=lambda *args, **kwargs: None)
        evaluator.params.imgIds = sorted(image_ids)
        with gc_paused():
            evaluator.evaluate()
        params = evaluator._paramsEval
        self.image_ids = list(params.imgIds)
        self._evaluations = evaluator._evalImgs_cpp
        self._areas, self._images, self._cats = len(params.areaRng), len(params.imgIds), len(params.catIds)
        self._params = copy.deepcopy(params)
        self._params.areaRng = [params.areaRng[0]]  # "all" (COCOeval's first range)
        self._params.areaRngLbl = [params.areaRngLbl[0]]
        self._params.maxDets = [params.maxDets[-1]]  # 100

    def score(self, draw: np.ndarray) -> float:
        """mAP (0-1) of the images at positions `draw` (repeats allowed), area all, 100 detections."""
        draw = np.asarray(draw, dtype=np.int64)
        index = (np.arange(self._cats)[:, None] * self._areas * self._images + draw[None, :]).reshape(-1)
        entries = [self._evaluations[i] for i in index.tolist()]
        params = copy.copy(self._params)
        params.imgIds = list(range(len(draw)))
        return map_of(np.asarray(_engine.COCOevalAccumulate(params, entries)["precision"]))


def bootstrap_map(coco_gt, results: list[dict], image_ids: list[int], resamples: int = RESAMPLES, seed: int = SEED,
                  level: float = LEVEL) -> Interval:
    evaluation = PerImageEvaluation(coco_gt, results, image_ids)
    count = len(evaluation.image_ids)
    rng = np.random.default_rng(seed)
    with gc_paused():
        values = np.array([evaluation.score(rng.integers(0, count, count)) for _ in range(resamples)]) * 100.0
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return Interval(round(float(low), 4), round(float(high), 4), resamples, seed, level, count,
                    round(float(values.std(ddof=1)), 4))


@dataclass(frozen=True)
class PairedInterval:
    """The difference b - a of two detection sets' mAP on the same images (AP points), with its
    paired bootstrap interval: every resample draws the *same* images for both, so what the two
    share (which images are hard) cancels, and the interval is that of the difference alone."""

    difference: float
    low: float
    high: float
    resamples: int
    seed: int
    level: float
    images: int

    @property
    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0

    def as_dict(self) -> dict:
        return {"method": "paired percentile bootstrap over images", "difference": self.difference, "low": self.low,
                "high": self.high, "level": self.level, "resamples": self.resamples, "seed": self.seed,
                "images": self.images, "excludes_zero": self.excludes_zero}


def paired_difference(coco_gt, results_a: list[dict], results_b: list[dict], image_ids: list[int],
                      resamples: int = RESAMPLES, seed: int = SEED, level: float = LEVEL) -> PairedInterval:
    """mAP(b) - mAP(a) over the same images, e.g. b = INT8 and a = FP32 detections of one model."""
    a = PerImageEvaluation(coco_gt, results_a, image_ids)
    b = PerImageEvaluation(coco_gt, results_b, image_ids)
    if a.image_ids != b.image_ids:
        raise ValueError("a paired comparison needs the same images on both sides")
    count = len(a.image_ids)
    everything = np.arange(count)
    difference = (b.score(everything) - a.score(everything)) * 100.0
    rng = np.random.default_rng(seed)
    with gc_paused():
        values = []
        for _ in range(resamples):
            draw = rng.integers(0, count, count)
            values.append((b.score(draw) - a.score(draw)) * 100.0)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(np.array(values), [tail, 100 - tail])
    return PairedInterval(round(float(difference), 4), round(float(low), 4), round(float(high), 4), resamples, seed,
                          level, count)
