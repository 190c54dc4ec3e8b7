"""Score a COCO results file, the detections of any detector, against a COCO annotation file.

A detections file is what COCO's evaluation server and every detection codebase write: a JSON list
of {image_id, category_id, bbox: [x, y, width, height], score}. Before scoring, the file is checked
as a whole (a few column-wise passes, fast on 500,000 detections) and the first fault is reported
with the entry, the file and the fix, and how many entries share it. pycocotools would crash on
some of these faults and silently score others (a category id the annotations do not list is
dropped; a class index used as the category id scores 0).

An empty list is not an error: a detector that found nothing scores 0 on every statistic (-1 where
the annotations have no object to score, as COCOeval writes it), and the command says so.
"""

from __future__ import annotations

import itertools
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchgen.errors import DetectionsError
from benchgen.measure.accuracy.coco_eval import CocoScore, engine_label, evaluate, gc_paused, ground_truth_coco, results_coco
from benchgen.measure.accuracy.dataset import read_annotation_file
from benchgen.pipeline import COCO_CATEGORY_IDS

FIELDS = ("image_id", "category_id", "bbox", "score")
FORMAT = "a JSON list of {image_id, category_id, bbox: [x, y, width, height], score} (COCO's results format)"
ANNOTATIONS_HINT = "pass --annotations FILE, the COCO instances_*.json of the images the detections are of"


def _snippet(entry) -> str:
    text = json.dumps(entry, default=str) if isinstance(entry, (dict, list)) else repr(entry)
    return text if len(text) <= 100 else text[:97] + "..."


class _Checker:
    """Raises one DetectionsError naming the first bad entry, what is wrong and how many share it."""

    def __init__(self, path: Path, data: list):
        self.path, self.data = path, data

    def fail(self, bad: list[int], problem: str, fix: str) -> None:
        share = f" ({len(bad)} of {len(self.data)} detections)" if len(bad) > 1 else ""
        raise DetectionsError(f"{self.path}: detection {bad[0]} {_snippet(self.data[bad[0]])} {problem}{share}; {fix}")


def _bad(values, good) -> list[int]:
    return [i for i, value in enumerate(values) if not good(value)]


def _is_int(value) -> bool:
    return type(value) is int  # not bool, which JSON's true would give


def _is_number(value) -> bool:
    return type(value) in (int, float) and math.isfinite(value)


def _floats(values) -> np.ndarray | None:
    """As float64 if all finite (JSON allows NaN and Infinity; an integer beyond float range is not finite either)."""
    try:
        array = np.array(values, dtype=np.float64)
    except OverflowError:
        return None
    return array if np.isfinite(array).all() else None


def read_detections(path: Path) -> list:
    """The parsed file, which must be a JSON list (of anything: check_detections looks at the entries)."""
    path = Path(path)
    if path.is_dir():
        raise DetectionsError(f"{path}: is a directory, not a detections file; give the JSON file the detector "
                              f"wrote, {FORMAT}")
    if not path.is_file():
        raise DetectionsError(f"{path}: detections file not found; give the JSON file the detector wrote, {FORMAT}")
    try:
        data = json.loads(path.read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DetectionsError(f"{path}: not a JSON file ({exc}); detections are {FORMAT}") from None
    if isinstance(data, dict):
        if "annotations" in data and "images" in data:
            raise DetectionsError(f"{path}: is a COCO annotation file (an object with images and annotations), not "
                                  "detections; pass it as --annotations, and the detector's output as --detections")
        lists = [key for key, value in data.items() if isinstance(value, list)]
        inside = f" (its key {lists[0]!r} holds a list: save that list on its own)" if len(lists) == 1 else ""
        raise DetectionsError(f"{path}: is a JSON object, not a list{inside}; detections are {FORMAT}")
    if not isinstance(data, list):
        raise DetectionsError(f"{path}: is a JSON {type(data).__name__}, not a list; detections are {FORMAT}")
    return data


def check_detections(path: Path, data: list, image_ids: set[int], category_ids: set[int],
                     annotations: Path) -> None:
    """Every entry is a detection of an image and a category that `annotations` lists."""
    check = _Checker(path, data)
    if not data:
        return
    if set(map(type, data)) != {dict}:
        check.fail(_bad(data, lambda d: type(d) is dict), "is not a JSON object", f"detections are {FORMAT}")
    columns = {}
    for field in FIELDS:
        try:
            columns[field] = [d[field] for d in data]
        except KeyError:
            check.fail(_bad(data, lambda d: field in d), f"lacks {field!r}", f"every detection needs {', '.join(FIELDS)}")
    ids, categories, boxes, scores = (columns[f] for f in FIELDS)
    for field, values in (("image_id", ids), ("category_id", categories)):
        if set(map(type, values)) != {int}:
            check.fail(_bad(values, _is_int), f"has a {field} that is not an integer",
                       f"{field} is the integer id the annotations give the {field.split('_')[0]}")
    if not set(map(type, scores)) <= {int, float} or _floats(scores) is None:
        check.fail(_bad(scores, _is_number), "has a score that is not a finite number",
                   "give each detection its confidence as a number")
    box_fix = "COCO boxes are [x, y, width, height] in pixels of the original image"
    array = None
    if set(map(type, boxes)) == {list} and set(map(len, boxes)) == {4} \
            and set(map(type, itertools.chain.from_iterable(boxes))) <= {int, float}:
        array = _floats(boxes)
    if array is None:
        check.fail(_bad(boxes, lambda b: type(b) is list and len(b) == 4 and all(map(_is_number, b))),
                   "has a bbox that is not [x, y, width, height], four finite numbers", box_fix)
    sizes = array[:, 2:]
    if (sizes < 0).any():
        check.fail(np.flatnonzero((sizes < 0).any(axis=1)).tolist(), "has a negative width or height",
                   f"{box_fix}, not two corners")
    unknown = set(ids) - image_ids
    if unknown:
        bad = _bad(ids, lambda i: i in image_ids)
        shown = ", ".join(map(str, sorted(unknown)[:5])) + (", ..." if len(unknown) > 5 else "")
        check.fail(bad, f"is of image {ids[bad[0]]}, which {annotations} does not list",
                   f"image ids not in it: {shown} ({len(unknown)} in all); score against the annotation file of the "
                   "images the detector ran on (image_id is the id in that file's 'images', not a file name or an "
                   "index)")
    unknown = set(categories) - category_ids
    if unknown:
        bad = _bad(categories, lambda c: c in category_ids)
        shown = ", ".join(map(str, sorted(unknown)[:10])) + (", ..." if len(unknown) > 10 else "")
        hint = ""
        if category_ids == set(COCO_CATEGORY_IDS) and unknown <= set(range(80)):
            hint = "; COCO's 80 ids run from 1 to 90 with gaps, and a class index 0-79 written as the id looks like this"
        check.fail(bad, f"has category_id {categories[bad[0]]}, which {annotations} does not list",
                   f"category ids not in it: {shown}{hint}; write each detection's category as the id the "
                   "annotations' 'categories' give it")


@dataclass
class FileScore:
    score: CocoScore
    detections_file: Path
    annotations: Path
    images: int  # images of the annotations, all scored
    images_with_detections: int
    detections: int
    engine: str
    seconds: float  # reading, checking and scoring

    def as_dict(self) -> dict:
        return {"detections_file": str(self.detections_file), "annotations": str(self.annotations),
                "images": self.images, "images_with_detections": self.images_with_detections,
                "detections": self.detections, "coco": self.score.named(),
                "coco_summary": self.score.summary.splitlines(), "coco_engine": self.engine,
                "seconds": round(self.seconds, 3)}


def score_file(detections: Path, annotations: Path) -> FileScore:
    """COCO bbox evaluation of a detections file over every image of an annotation file.

    Images without a detection count as a detector that found nothing there (COCO's rule): the
    score is of the whole annotated set, so detections of a subset need the subset's annotations.
    """
    start = time.perf_counter()
    annotations, detections = Path(annotations), Path(detections)
    with gc_paused():  # see gc_paused: a sixth of the time on val2017-sized files
        data = read_annotation_file(annotations, hint=ANNOTATIONS_HINT)
        if not data["images"]:
            raise DetectionsError(f"{annotations}: lists no images; there is nothing to score against")
        results = read_detections(detections)
        check_detections(detections, results, {image["id"] for image in data["images"]},
                         {category["id"] for category in data["categories"]}, annotations)
        coco_gt = ground_truth_coco(data)
        count, with_detections = len(results), len({r["image_id"] for r in results})
        coco_dt = results_coco(coco_gt, results, in_place=True)
        del results
        score = evaluate(coco_gt, coco_dt)
    return FileScore(score=score, detections_file=detections, annotations=annotations, images=len(data["images"]),
                     images_with_detections=with_detections, detections=count, engine=engine_label(),
                     seconds=time.perf_counter() - start)
