"""Builders for the measuring tests: a synthetic COCO dataset, a tiny YOLOX-shaped ONNX model, a registry.

Everything is generated in tmp_path from fixed seeds, so the tests need no download and every
expected value can be worked out by hand.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import onnx
import pytest
import yaml
from onnx import TensorProto, helper, numpy_helper

from benchgen.pipeline import COCO_CATEGORY_IDS

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
TINY80 = SHARED / "datasets" / "coco-val2017-tiny80"
YOLOX_NANO = SHARED / "models" / "yolox-nano" / "yolox_nano.onnx"
REPO_REGISTRY = Path(__file__).resolve().parents[2] / "benchgen" / "registry" / "data"

#: image sizes (width, height) of the synthetic set: landscape, portrait, odd ratios
IMAGE_SIZES = [(640, 480), (480, 640), (500, 375), (333, 500), (640, 427), (375, 500)]
#: 12 categories, each used by exactly two objects; gaps in COCO's ids (12, 26, 45, 66, 83) are crossed
CATEGORIES = [1, 3, 13, 18, 27, 44, 46, 67, 70, 84, 88, 90]


@dataclass
class SyntheticCoco:
    root: Path
    images_dir: Path
    annotations: Path
    data: dict


def build_synthetic_coco(root: Path, seed: int = 0) -> SyntheticCoco:
    """Six noise images, four non-overlapping boxes each (so NMS can never merge two of them)."""
    rng = np.random.default_rng(seed)
    images_dir = root / "val2017"
    images_dir.mkdir(parents=True)
    categories = list(rng.permutation(CATEGORIES * 2))
    images, annotations = [], []
    for index, (width, height) in enumerate(IMAGE_SIZES):
        image_id = 1000 + 7 * index  # ids out of file order: nothing may rely on 0..N-1
        name = f"{image_id:012d}.jpg"
        cv2.imwrite(str(images_dir / name), rng.integers(0, 256, (height, width, 3), dtype=np.uint8))
        images.append({"id": image_id, "file_name": name, "width": width, "height": height})
        cell_w, cell_h = width / 2, height / 2
        for cell in range(4):
            x0, y0 = (cell % 2) * cell_w, (cell // 2) * cell_h
            w, h = cell_w * rng.uniform(0.3, 0.9), cell_h * rng.uniform(0.3, 0.9)
            x, y = x0 + rng.uniform(0, cell_w - w), y0 + rng.uniform(0, cell_h - h)
            bbox = [round(float(v), 2) for v in (x, y, w, h)]
            annotations.append({"id": len(annotations) + 1, "image_id": image_id,
                                "category_id": int(categories.pop()), "bbox": bbox,
                                "area": bbox[2] * bbox[3], "iscrowd": 0})
    data = {"images": images, "annotations": annotations,
            "categories": [{"id": c, "name": f"class-{c}", "supercategory": "x"} for c in COCO_CATEGORY_IDS]}
    (root / "annotations").mkdir()
    path = root / "annotations" / "instances_val2017.json"
    path.write_text(json.dumps(data))
    return SyntheticCoco(root, images_dir, path, data)


def build_tiny_yolox_onnx(path: Path, input_size: int = 32, seed: int = 0, channels: int = 3,
                          batch: int | str = 1) -> Path:
    """A YOLOX-shaped model: (1, 3, S, S) -> (1, rows, 85) for strides 8/16/32, sigmoid scores.

    Pooling + a fixed random matrix keep it tiny while the output depends on the image.
    `channels` and `batch` (a name for a dynamic batch) make a file whose image input benchgen
    cannot feed, as a bring-your-own export for grey images would be.
    """
    rows = sum((input_size // s) ** 2 for s in (8, 16, 32))
    rng = np.random.default_rng(seed)
    weight = numpy_helper.from_array((rng.standard_normal((channels, rows * 85)) * 0.01).astype(np.float32),
                                     "weight")
    shape = numpy_helper.from_array(np.array([1, rows, 85], dtype=np.int64), "shape")
    nodes = [
        helper.make_node("GlobalAveragePool", ["images"], ["pooled"]),
        helper.make_node("Flatten", ["pooled"], ["flat"]),
        helper.make_node("MatMul", ["flat", "weight"], ["mixed"]),
        helper.make_node("Reshape", ["mixed", "shape"], ["logits"]),
        helper.make_node("Sigmoid", ["logits"], ["output"]),
    ]
    image = helper.make_tensor_value_info("images", TensorProto.FLOAT, [batch, channels, input_size, input_size])
    output = helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, rows, 85])
    graph = helper.make_graph(nodes, "tiny-yolox", [image], [output], initializer=[weight, shape])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def write_tiny_registry(directory: Path, onnx_path: Path, input_size: int = 32,
                        variant_id: str = "tiny-yolox") -> Path:
    """A registry with one bring-your-own family (the real YOLOX entry, pointed at a tiny file)."""
    family = yaml.safe_load((REPO_REGISTRY / "yolox.yaml").read_text())
    family["id"] = "tiny"
    variant = dict(family["variants"][0])
    variant.update({"id": variant_id, "input_size": input_size, "onnx": str(onnx_path)})
    variant.pop("reported", None)
    variant.pop("download", None)  # the tiny file is named by onnx; the real entry fetches its own
    family["variants"] = [variant]
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "tiny.yaml").write_text(yaml.safe_dump(family))
    return directory


@dataclass
class TinyModel:
    onnx_path: Path
    registry_dir: Path
    variant_id: str = "tiny-yolox"


def require_shared(*paths: Path) -> None:
    for path in paths:
        if not path.exists():
            pytest.skip(f"{path} not present (the shared data beside the project)")



def build_huge_png(path: Path) -> Path:
    """A valid PNG header claiming 100000 x 100000 pixels, with (almost) no pixel data."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b""))
    return path


def jittered_detections(gt: dict, seed: int = 0, false_positives: int = 5) -> list[dict]:
    """Detections made from ground truth: 0-2 jittered copies of each object (some with the wrong
    category), plus random false positives in every image, scores drawn so that good boxes tend to
    rank first without always doing so. Fixed seed: the same list every run."""
    rng = np.random.default_rng(seed)
    categories = sorted(c["id"] for c in gt["categories"])
    sizes = {image["id"]: (image.get("width", 640), image.get("height", 480)) for image in gt["images"]}
    detections = []
    for annotation in sorted(gt["annotations"], key=lambda a: a["id"]):
        x, y, w, h = annotation["bbox"]
        for _ in range(int(rng.choice([0, 1, 1, 2]))):
            jx, jy, jw, jh = rng.normal(0, 0.08, 4)
            category = annotation["category_id"] if rng.random() > 0.1 else int(rng.choice(categories))
            detections.append({"image_id": annotation["image_id"], "category_id": category,
                               "bbox": [round(float(v), 2) for v in (x + jx * w, y + jy * h, w * math.exp(jw),
                                                                     h * math.exp(jh))],
                               "score": round(float(rng.beta(5, 2)), 4)})
    for image_id, (width, height) in sizes.items():
        for _ in range(false_positives):
            w, h = float(rng.uniform(2, width / 2)), float(rng.uniform(2, height / 2))
            detections.append({"image_id": image_id, "category_id": int(rng.choice(categories)),
                               "bbox": [round(float(rng.uniform(0, width - w)), 2),
                                        round(float(rng.uniform(0, height - h)), 2), round(w, 2), round(h, 2)],
                               "score": round(float(rng.beta(1.2, 5)), 4)})
    order = rng.permutation(len(detections))  # file order must not matter beyond ties
    return [detections[i] for i in order]


def edge_case_coco() -> tuple[dict, list[dict]]:
    """Ground truth and detections for the rules where a re-implementation of COCOeval could go wrong.

    image 1: a small, a medium and a large object, found with jitter
    image 2: a crowd region holding one regular object; five detections inside the crowd (ignored,
             not false positives), one on the object
    image 3: objects, no detections (missed)          image 4: detections, no objects (false positives)
    image 5: 150 detections, many tied scores, on three objects: truncated at maxDets 1/10/100
    image 6: objects of area exactly 32^2 and 96^2 (the range edges), an object whose segmentation
             area is far below its box's, a zero-width detection and a duplicate detection
    image 7: listed, nothing in it
    category 5: detections, no object; category 6: nothing; category 7: only a crowd object
    """
    images = [{"id": i, "file_name": f"{i:012d}.jpg", "width": 640, "height": 480} for i in range(1, 8)]
    categories = [{"id": c, "name": f"class-{c}"} for c in range(1, 8)]
    annotations = []

    def obj(image_id, category_id, bbox, area=None, crowd=0):
        annotations.append({"id": len(annotations) + 1, "image_id": image_id, "category_id": category_id,
                            "bbox": bbox, "area": bbox[2] * bbox[3] if area is None else area, "iscrowd": crowd})

    def det(image_id, category_id, bbox, score):
        detections.append({"image_id": image_id, "category_id": category_id, "bbox": bbox, "score": score})

    detections: list[dict] = []
    obj(1, 1, [10, 10, 20, 20])
    obj(1, 1, [100, 100, 50, 50])
    obj(1, 2, [200, 200, 150, 120])
    det(1, 1, [11, 10, 20, 21], 0.9)
    det(1, 1, [102, 98, 50, 52], 0.8)
    det(1, 2, [205, 200, 150, 110], 0.7)
    det(1, 2, [10, 300, 40, 40], 0.75)  # a false positive between two true ones
    obj(2, 1, [50, 50, 300, 300], crowd=1)
    obj(2, 1, [400, 60, 80, 80])
    for k in range(5):
        det(2, 1, [60 + 40 * k, 70, 35, 35], 0.6 + 0.05 * k)
    det(2, 1, [402, 61, 79, 80], 0.55)
    obj(3, 3, [30, 30, 60, 60])
    obj(3, 4, [300, 200, 100, 90])
    det(4, 1, [0, 0, 100, 100], 0.95)
    det(4, 3, [50, 50, 20, 30], 0.4)
    for x in (20, 200, 400):
        obj(5, 3, [x, 100, 90, 90])
    rng = np.random.default_rng(7)
    for k in range(150):
        x = float(rng.choice([20, 200, 400]) + rng.normal(0, 12))
        det(5, 3, [round(x, 1), round(100 + float(rng.normal(0, 12)), 1), 90, 90], round(float(rng.choice([0.9, 0.5, 0.3])), 1)
            if k % 3 else round(float(rng.uniform(0, 1)), 3))
    obj(6, 4, [10, 10, 32, 32])  # area exactly 32^2: small and medium both hold it
    obj(6, 4, [100, 10, 96, 96])  # exactly 96^2: medium and large
    obj(6, 2, [300, 300, 200, 100], area=900.0)  # a thin diagonal object: small by area, large by box
    det(6, 4, [10, 10, 32, 32], 0.9)
    det(6, 4, [100, 10, 96, 96], 0.8)
    det(6, 4, [100, 10, 96, 96], 0.8)  # the same box twice: one true, one false positive
    det(6, 2, [300, 300, 200, 100], 0.6)
    det(6, 2, [500, 400, 0, 30], 0.5)  # zero width
    det(6, 5, [0, 0, 32, 32], 0.99)  # category without objects
    obj(6, 7, [400, 300, 100, 100], crowd=1)
    det(6, 7, [400, 300, 100, 100], 0.9)
    return {"images": images, "annotations": annotations, "categories": categories}, detections


def pycocotools_score(gt: dict, detections: list[dict], image_ids: list[int] | None = None) -> tuple[list[float], str]:
    """The oracle: pycocotools' own COCO, loadRes and COCOeval on copies (each mutates what it gets)."""
    import contextlib
    import copy
    import io

    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = copy.deepcopy(gt)
        coco.createIndex()
        if detections:
            results = coco.loadRes(copy.deepcopy(detections))
        else:  # loadRes refuses an empty list
            results = COCO()
            results.dataset = {"images": coco.dataset["images"], "categories": coco.dataset["categories"],
                               "annotations": []}
            results.createIndex()
        evaluator = COCOeval(coco, results, "bbox")
        if image_ids is not None:
            evaluator.params.imgIds = sorted(image_ids)
        evaluator.evaluate()
        evaluator.accumulate()
    summary = io.StringIO()
    with contextlib.redirect_stdout(summary):
        evaluator.summarize()
    return [float(s) for s in evaluator.stats], summary.getvalue().rstrip("\n")


def random_coco(seed: int, images: int = 40, per_image: int = 30) -> tuple[dict, list[dict]]:
    """A small random COCO set, in the benchmark's spirit: ~7 objects an image over 80 categories,
    sizes log-uniform (small, medium and large all present), 1 % crowd, GT areas below box areas."""
    rng = np.random.default_rng(seed)
    categories = list(COCO_CATEGORY_IDS)
    data = {"images": [], "annotations": [], "categories": [{"id": c, "name": f"class-{c}"} for c in categories]}
    for index in range(images):
        image_id, width, height = 100 + index, int(rng.integers(320, 641)), int(rng.integers(240, 481))
        data["images"].append({"id": image_id, "file_name": f"{image_id:012d}.jpg", "width": width, "height": height})
        for _ in range(int(rng.poisson(7))):
            w = float(np.exp(rng.uniform(np.log(4), np.log(width * 0.9))))
            h = float(min(max(w * np.exp(rng.normal(0, 0.4)), 2), height * 0.9))
            box = [round(float(rng.uniform(0, width - w)), 2), round(float(rng.uniform(0, height - h)), 2),
                   round(w, 2), round(h, 2)]
            data["annotations"].append({"id": len(data["annotations"]) + 1, "image_id": image_id,
                                        "category_id": int(rng.choice(categories)), "bbox": box,
                                        "area": round(box[2] * box[3] * float(rng.uniform(0.5, 0.9)), 2),
                                        "iscrowd": int(rng.random() < 0.01)})
    detections = jittered_detections(data, seed, false_positives=per_image)
    return data, detections
