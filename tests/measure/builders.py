"""Builders for the measuring tests: a synthetic COCO dataset, a tiny YOLOX-shaped ONNX model, a registry.

Everything is generated in tmp_path from fixed seeds, so the tests need no download and every
expected value can be worked out by hand.
"""

from __future__ import annotations

import json
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


def build_tiny_yolox_onnx(path: Path, input_size: int = 32, seed: int = 0) -> Path:
    """A YOLOX-shaped model: (1, 3, S, S) -> (1, rows, 85) for strides 8/16/32, sigmoid scores.

    Pooling + a fixed random matrix keep it tiny while the output depends on the image.
    """
    rows = sum((input_size // s) ** 2 for s in (8, 16, 32))
    rng = np.random.default_rng(seed)
    weight = numpy_helper.from_array((rng.standard_normal((3, rows * 85)) * 0.01).astype(np.float32), "weight")
    shape = numpy_helper.from_array(np.array([1, rows, 85], dtype=np.int64), "shape")
    nodes = [
        helper.make_node("GlobalAveragePool", ["images"], ["pooled"]),
        helper.make_node("Flatten", ["pooled"], ["flat"]),
        helper.make_node("MatMul", ["flat", "weight"], ["mixed"]),
        helper.make_node("Reshape", ["mixed", "shape"], ["logits"]),
        helper.make_node("Sigmoid", ["logits"], ["output"]),
    ]
    image = helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, input_size, input_size])
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
