"""Find and check a COCO-format evaluation set before any model runs.

Evaluating 5,000 images takes long enough that a missing file discovered at image 4,000, or a
category-id scheme the detectors do not speak, must fail up front with a message naming the path
and the fix. The standard layout (``<root>/val2017/*.jpg`` beside
``<root>/annotations/instances_val2017.json``) is found from either half.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from faster_coco_eval import COCO

from benchgen.errors import DatasetError
from benchgen.measure.accuracy.coco_eval import ground_truth_coco
from benchgen.pipeline import COCO_CATEGORY_IDS

LAYOUT_HINT = ("pass --images DIR --annotations FILE, e.g. --images coco/val2017 "
               "--annotations coco/annotations/instances_val2017.json")


@dataclass
class CocoDataset:
    images_dir: Path
    annotations: Path
    coco: COCO
    image_ids: list[int]  # the images evaluated, ascending ids
    files: dict[int, Path]
    fingerprint: str  # changes when the annotations or the selected image files change

    @property
    def name(self) -> str:
        return f"{self.images_dir.parent.name}/{self.images_dir.name}"

    def describe(self) -> str:
        return f"{self.name} ({len(self.image_ids)} images)"


def default_dataset_root() -> Path:
    """The default dataset (coco-val2017-tiny80) where a verified copy is here: the data directory's, or a
    directory mirror's such as ../shared/ used in place; else where `benchgen fetch` would put it."""
    from benchgen.fetch.datasets import local_dataset
    from benchgen.fetch.locations import data_dir, mirrors
    from benchgen.registry.datasets import default_dataset

    entry = default_dataset()
    return local_dataset(entry, mirrors()) or data_dir() / entry.path


def locate(images_dir: Path | None, annotations: Path | None) -> tuple[Path, Path]:
    """Complete the pair from whichever half the user gave, following COCO's directory layout."""
    if images_dir is None and annotations is None:
        root = default_dataset_root()
        images_dir, annotations = root / "val2017", root / "annotations" / "instances_val2017.json"
        if not annotations.is_file():
            raise DatasetError(f"{root}: the default dataset (coco-val2017-tiny80) is not there; fetch it with "
                               f"`benchgen fetch --dataset coco-val2017-tiny80 --mirror URL|DIR`, or {LAYOUT_HINT}")
        return images_dir, annotations
    if annotations is None:
        images_dir = Path(images_dir)
        pairs = [(images_dir, images_dir.parent / "annotations" / f"instances_{images_dir.name}.json")]
        if (images_dir / "annotations").is_dir():  # the user gave the dataset root
            pairs += [(d, images_dir / "annotations" / f"instances_{d.name}.json")
                      for d in sorted(images_dir.iterdir()) if d.is_dir() and d.name != "annotations"]
        for split_dir, candidate in pairs:
            if candidate.is_file():
                return split_dir, candidate
        raise DatasetError(f"{images_dir}: found no annotation file for these images (looked for "
                           f"{', '.join(str(c) for _, c in pairs)}); pass --annotations FILE")
    annotations = Path(annotations)
    if images_dir is None:
        split = annotations.stem.removeprefix("instances_")
        images_dir = annotations.parent.parent / split
        if not images_dir.is_dir():
            raise DatasetError(f"{annotations}: no image directory {images_dir} beside it; pass --images DIR")
    return Path(images_dir), annotations


def _snippet(entry) -> str:
    """An entry as a message shows it: short, whatever it holds."""
    text = str({k: v for k, v in entry.items() if k != "segmentation"} if isinstance(entry, dict) else entry)
    return text if len(text) <= 100 else text[:97] + "..."


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def check_annotations(data: dict, path: Path) -> None:
    """What COCOeval relies on in the ground truth, checked with one message per fault.

    COCOeval reads each object's `area` (small/medium/large) and `iscrowd`, matches by annotation
    id (id 0 means "unmatched" to it: such an object is found but counted as a false positive), and
    silently drops objects of images or categories the file does not list.
    """
    image_ids, category_ids = set(), set()
    for kind, entries, ids in (("image", data["images"], image_ids), ("category", data["categories"], category_ids)):
        for entry in entries:
            if not isinstance(entry, dict) or not _is_int(entry.get("id")):
                raise DatasetError(f"{path}: {kind} entry {_snippet(entry)} has no integer id; every {kind} needs one")
            if entry["id"] in ids:
                raise DatasetError(f"{path}: {kind} id {entry['id']} appears twice; {kind} ids must be unique")
            ids.add(entry["id"])
    if _annotations_look_right(data["annotations"], image_ids, category_ids):
        return  # the usual case, checked column-wise; a fault is looked for one annotation at a time
    annotation_ids = set()
    for annotation in data["annotations"]:
        if not isinstance(annotation, dict):
            raise DatasetError(f"{path}: annotation {_snippet(annotation)} is not an object")
        missing = [key for key in ANNOTATION_KEYS if key not in annotation]
        if missing:
            fix = (" (COCOeval's small/medium/large ranges judge objects by it; box-only datasets use "
                   "width * height)") if missing == ["area"] else ""
            raise DatasetError(f"{path}: annotation {_snippet(annotation)} lacks {', '.join(map(repr, missing))}"
                               f"{fix}; every annotation needs id, image_id, category_id, bbox and area")
        problem = _annotation_problem(annotation, image_ids, category_ids, annotation_ids)
        if problem:
            raise DatasetError(f"{path}: annotation {_snippet(annotation)} {problem}")
        annotation_ids.add(annotation["id"])


ANNOTATION_KEYS = ("id", "image_id", "category_id", "bbox", "area")


def _annotations_look_right(annotations: list, image_ids: set, category_ids: set) -> bool:
    """All of _annotation_problem's rules at once, on columns: fast for val2017's 36,781 objects."""
    try:
        return _columns_look_right(annotations, image_ids, category_ids)
    except TypeError:  # an unhashable id, say: the one-by-one check names it
        return False


def _columns_look_right(annotations: list, image_ids: set, category_ids: set) -> bool:
    if not annotations:
        return True
    if set(map(type, annotations)) != {dict} or not all(a.keys() >= set(ANNOTATION_KEYS) for a in annotations):
        return False
    ids = [a["id"] for a in annotations]
    boxes = [a["bbox"] for a in annotations]
    areas = [a["area"] for a in annotations]
    if set(map(type, ids)) != {int} or 0 in ids or len(set(ids)) != len(ids) \
            or not {a["image_id"] for a in annotations} <= image_ids \
            or not {a["category_id"] for a in annotations} <= category_ids \
            or {type(a["image_id"]) for a in annotations} | {type(a["category_id"]) for a in annotations} != {int} \
            or not {a.get("iscrowd", 0) for a in annotations} <= {0, 1} \
            or set(map(type, boxes)) != {list} or set(map(len, boxes)) != {4} \
            or not set(map(type, itertools.chain.from_iterable(boxes))) <= {int, float} \
            or not set(map(type, areas)) <= {int, float}:
        return False
    try:
        numbers = np.concatenate([np.array(boxes, dtype=np.float64), np.array(areas, dtype=np.float64)[:, None]], 1)
    except OverflowError:
        return False
    return bool(np.isfinite(numbers).all() and (numbers[:, 2:] >= 0).all())


def _annotation_problem(annotation: dict, image_ids: set, category_ids: set, annotation_ids: set) -> str | None:
    if not _is_int(annotation["id"]) or annotation["id"] == 0:
        return (f"has id {annotation['id']!r}; ids must be integers other than 0 (COCOeval takes 0 to mean "
                "'unmatched', so that object could never count as found): renumber the annotations from 1")
    if annotation["id"] in annotation_ids:
        return f"repeats id {annotation['id']}; annotation ids must be unique"
    if not _is_int(annotation["image_id"]) or annotation["image_id"] not in image_ids:
        return (f"refers to image {annotation['image_id']!r}, which the file does not list; add the image to "
                "'images' or remove the annotation")
    if not _is_int(annotation["category_id"]) or annotation["category_id"] not in category_ids:
        return (f"has category {annotation['category_id']!r}, which the file does not list; add the category to "
                "'categories' or remove the annotation")
    box = annotation["bbox"]
    if not (isinstance(box, list) and len(box) == 4 and all(map(_is_number, box))) or box[2] < 0 or box[3] < 0:
        return "has a bbox that is not [x, y, width, height], four finite numbers with width and height at least 0"
    if not _is_number(annotation["area"]) or annotation["area"] < 0:
        return "has an area that is not a finite number at least 0"
    if annotation.get("iscrowd", 0) not in (0, 1):
        return "has an iscrowd that is neither 0 nor 1"
    return None


def read_annotation_file(path: Path, hint: str = LAYOUT_HINT, coco_ids: bool = False) -> dict:
    """A COCO detection annotation file (instances_*.json), parsed and checked before anything is scored.

    `coco_ids`: the categories must be COCO's 80 detection ids (what benchgen's detectors predict).
    """
    path = Path(path)
    if path.is_dir():
        raise DatasetError(f"{path}: is a directory, not an annotation file; give a file such as "
                           f"{path / 'instances_val2017.json'}")
    if not path.is_file():
        raise DatasetError(f"{path}: annotation file not found; {hint}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: not a JSON file ({exc}); give COCO's instances_*.json") from None
    missing = [key for key in ("images", "annotations", "categories")
               if not isinstance(data, dict) or not isinstance(data.get(key), list)]
    if missing:
        raise DatasetError(f"{path}: not a COCO detection annotation file (no list {', '.join(missing)}); "
                           "give COCO's instances_*.json")
    if coco_ids:
        unknown = sorted({c.get("id") for c in data["categories"] if isinstance(c, dict)} - set(COCO_CATEGORY_IDS),
                         key=str)
        if unknown:
            raise DatasetError(f"{path}: category ids {unknown[:10]} are not COCO's 80 detection ids; benchgen's "
                               "detectors predict COCO categories, so the annotations must use COCO's ids")
    check_annotations(data, path)
    return data


def _read_annotations(path: Path) -> dict:
    data = read_annotation_file(path, coco_ids=True)
    for image in data["images"]:
        if not all(key in image for key in ("id", "file_name", "width", "height")):
            raise DatasetError(f"{path}: image entry {str(image)[:120]} lacks id, file_name, width or height")
        if not all(_is_number(image[key]) and image[key] > 0 and float(image[key]).is_integer()
                   for key in ("width", "height")):
            raise DatasetError(f"{path}: image entry {str(image)[:120]} has a width or height that is not a whole "
                               "number of pixels above 0; correct it")
    return data


def quiet_coco(data: dict) -> COCO:
    """The scoring engine's COCO index of parsed annotation JSON, without progress prints on stdout."""
    return ground_truth_coco(data)


def check_image_sizes(images: list[dict], files: dict[int, Path], annotations: Path) -> None:
    """Every image's pixel size is the width and height its annotation gives, checked before anything is
    scored: boxes are drawn in the annotation's coordinates, so another file under the same name (a
    resized copy, a different image) scores silently wrong, not badly. Only headers are read."""
    from PIL import Image

    for image in images:
        path = files[image["id"]]
        try:
            with Image.open(path) as opened:
                size = opened.size
        except Exception:  # noqa: BLE001 - an undecodable file is named when it is decoded
            continue
        given = (int(image["width"]), int(image["height"]))
        if size != given:
            raise DatasetError(f"{path}: is {size[0]}x{size[1]} pixels but {annotations.name} gives image id "
                               f"{image['id']} width {given[0]} and height {given[1]}, and its boxes are in those "
                               "coordinates; put the annotated image there, or correct its width and height")


def load_dataset(images_dir: Path | None = None, annotations: Path | None = None,
                 max_images: int | None = None) -> CocoDataset:
    images_dir, annotations = locate(images_dir, annotations)
    if not images_dir.is_dir():
        raise DatasetError(f"{images_dir}: image directory not found; {LAYOUT_HINT}")
    if max_images is not None and max_images < 1:
        raise DatasetError(f"--max-images must be at least 1 (got {max_images})")
    data = _read_annotations(annotations)
    images = sorted(data["images"], key=lambda image: image["id"])[:max_images]
    if not images:
        raise DatasetError(f"{annotations}: lists no images")
    files = {image["id"]: images_dir / image["file_name"] for image in images}
    missing = [path for path in files.values() if not path.is_file()]
    if missing:
        shown = ", ".join(p.name for p in missing[:3])
        raise DatasetError(f"{images_dir}: {len(missing)} of {len(files)} images listed in {annotations.name} are "
                           f"missing ({shown}{', ...' if len(missing) > 3 else ''}); point --images at the directory "
                           "that holds them or re-download the dataset")
    check_image_sizes(images, files, annotations)
    digest = hashlib.sha256(annotations.read_bytes())
    for image_id, path in files.items():
        digest.update(f"{image_id}:{path.name}:{path.stat().st_size};".encode())
    return CocoDataset(images_dir=images_dir.resolve(), annotations=annotations.resolve(), coco=quiet_coco(data),
                       image_ids=list(files), files=files, fingerprint=digest.hexdigest()[:16])
