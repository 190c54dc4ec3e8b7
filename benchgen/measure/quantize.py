"""Post-training static INT8 quantisation of a variant's exported ONNX graph.

The INT8 graph is an ONNX file in QDQ form (QuantizeLinear/DequantizeLinear around each quantised
operator), so ONNX Runtime and OpenVINO both run the *same* INT8 graph, as they run the same FP32
one. Calibration reads only the 80 COCO train2017 images of `coco-train2017-mini80`, through the
variant's own pre-processing: never an image that an accuracy figure is then computed on (the
evaluation sets are val2017 images).

Two well-kept quantisers can write it, and `TOOLS` holds both so they can be compared on one
machine (benchmarks/int8_tools.py): NNCF's `quantize` (OpenVINO's tool; its ONNX back end) and
ONNX Runtime's `quantize_static`. Both use the recipe below: per-channel symmetric INT8 weights,
asymmetric UINT8 activations calibrated by min/max over the calibration images. The default tool
is the one the measurements chose (see DEFAULT_TOOL and docs/methodology.md).

The quantised file is cached by everything it depends on (the FP32 file's hash, the tool and its
version, the recipe, the calibration images' hashes), written under a temporary name and renamed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from benchgen.atomic_files import reserve_temp_path
from benchgen.errors import BenchgenError, DatasetError
from benchgen.measure.images import read_image
from benchgen.measure.model_files import ModelFiles, progress_note, sha256_file, short_hash
from benchgen.paths import cache_root, project_root

PRECISIONS = ("fp32", "int8")
DEFAULT_PRECISION = "fp32"
#: the calibration set: COCO train2017 images, disjoint from every val2017 evaluation set
CALIBRATION_DIR = Path("../shared/datasets/coco-train2017-mini80/train2017")
CALIBRATION_IMAGES = 80
TOOLS = ("nncf", "ort")
#: chosen by measurement (docs/methodology.md, "INT8"): see benchmarks/int8_tools.py
DEFAULT_TOOL = "nncf"
#: recipe version: bump when the recipe changes so cached INT8 files and results are redone
RECIPE_VERSION = 1


def check_precision(precision: str) -> str:
    if precision not in PRECISIONS:
        raise BenchgenError(f"--precision {precision!r}: choose one of {', '.join(PRECISIONS)}")
    return precision


def calibration_dir() -> Path:
    """BENCHGEN_CALIBRATION_DIR moves it (tests); it must never be an evaluation set."""
    env = os.environ.get("BENCHGEN_CALIBRATION_DIR")
    return Path(env).resolve() if env else (project_root() / CALIBRATION_DIR).resolve()


def calibration_images(limit: int = CALIBRATION_IMAGES) -> list[Path]:
    folder = calibration_dir()
    images = sorted(folder.glob("*.jpg"))[:limit] if folder.is_dir() else []
    if not images:
        raise DatasetError(f"{folder}: no calibration images (*.jpg) there; INT8 quantisation calibrates on "
                           "COCO train2017 images (../shared/datasets/coco-train2017-mini80), or set "
                           "BENCHGEN_CALIBRATION_DIR to a folder of images that are not evaluated")
    if "val2017" in folder.as_posix():
        raise DatasetError(f"{folder}: calibration images must not come from an evaluation set (val2017); "
                           "point BENCHGEN_CALIBRATION_DIR at train2017 images")
    return images


def calibration_feeds(model: ModelFiles, images: list[Path]) -> Iterator[dict[str, np.ndarray]]:
    """Each calibration image through the variant's own pre-processing, as inference sees it."""
    for path in images:
        feeds, _ = model.pipeline.preprocess(read_image(path, "remove it from the calibration folder").pixels)
        yield feeds


def recipe(tool: str) -> dict[str, Any]:
    return {"version": RECIPE_VERSION, "tool": tool, "weights": "int8 symmetric per channel",
            "activations": "uint8 asymmetric per tensor, min/max calibration", "format": "QDQ ONNX"}


def tool_version(tool: str) -> str:
    if tool == "nncf":
        import nncf

        return nncf.__version__
    import onnxruntime

    return onnxruntime.__version__


def _constant_initializers(onnx_path: Path, scratch: Path) -> Path:
    """The graph with initializers that an old exporter also listed as inputs made constants (the
    same cleaning ONNX Runtime's session gets, benchgen.measure.runners.session_source): a quantiser
    would otherwise treat those weights as inputs and leave them, and what follows them, in FP32."""
    from benchgen.measure.runners import session_source

    source = session_source(onnx_path)
    if isinstance(source, str):
        return Path(source)
    scratch.write_bytes(source)
    return scratch


def _input_names(onnx_path: Path) -> list[str]:
    import onnx

    model = onnx.load(str(onnx_path), load_external_data=False)
    initializers = {i.name for i in model.graph.initializer}
    return [i.name for i in model.graph.input if i.name not in initializers]


def quantize_nncf(source: Path, target: Path, feeds: list[dict[str, np.ndarray]]) -> None:
    import nncf
    import onnx
    import onnx.version_converter

    names = _input_names(source)
    model = onnx.load(str(source))
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
    if opset < PER_CHANNEL_OPSET:
        # QuantizeLinear has an axis (per-channel scales) from opset 13 on; NNCF falls back to
        # per-tensor weights below it, which the recipe does not allow (ORT's quantiser upgrades too)
        model = onnx.version_converter.convert_version(model, PER_CHANNEL_OPSET)
    data = nncf.Dataset(feeds, lambda f: _bound(f, names))
    quantized = nncf.quantize(model, data, subset_size=len(feeds), preset=nncf.QuantizationPreset.PERFORMANCE)
    onnx.save(quantized, str(target))


def quantize_ort(source: Path, target: Path, feeds: list[dict[str, np.ndarray]]) -> None:
    import tempfile

    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType, quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process

    names = _input_names(source)

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.items = iter([_bound(f, names) for f in feeds])

        def get_next(self):
            return next(self.items, None)

    with tempfile.TemporaryDirectory() as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
        quantize_static(str(prepared), str(target), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)


def _bound(feeds: dict[str, np.ndarray], names: list[str]) -> dict[str, np.ndarray]:
    from benchgen.measure.feeds import bind_feeds

    return bind_feeds(feeds, names)


#: the first opset whose QuantizeLinear takes per-channel scales
PER_CHANNEL_OPSET = 13

QUANTIZERS = {"nncf": quantize_nncf, "ort": quantize_ort}


def int8_model(model: ModelFiles, tool: str = DEFAULT_TOOL) -> ModelFiles:
    """The variant's INT8 graph (cached), as a `ModelFiles` with the same pipeline."""
    if tool not in TOOLS:
        raise BenchgenError(f"unknown quantiser {tool!r}; choose one of {', '.join(TOOLS)}")
    images = calibration_images()
    material = {"fp32": model.onnx_sha256, "recipe": recipe(tool), "tool_version": tool_version(tool),
                "calibration": hashlib.sha256("".join(sha256_file(p) for p in images).encode()).hexdigest()}
    path = cache_root() / "int8" / f"{model.onnx_path.stem}-int8-{tool}-{short_hash(material)}.onnx"
    if not path.is_file():
        progress_note(f"quantising {model.variant.id} to INT8 with {tool} on {len(images)} calibration images "
                      f"({calibration_dir()})")
        feeds = list(calibration_feeds(model, images))
        tmp, source = reserve_temp_path(path), reserve_temp_path(path)
        try:
            QUANTIZERS[tool](_constant_initializers(model.onnx_path, source), tmp, feeds)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
            source.unlink(missing_ok=True)
    facts = {"precision": "int8", "quantiser": f"{tool} {material['tool_version']}", "int8_recipe": RECIPE_VERSION,
             "calibration_images": f"{len(images)} from {calibration_dir().parent.name}",
             "fp32_onnx_sha256": model.onnx_sha256[:16]}
    return dataclasses.replace(model, onnx_path=path, onnx_sha256=sha256_file(path),
                               provider_facts=None if model.provider_facts is None else model.provider_facts,
                               quantization=facts)


def with_precision(model: ModelFiles, precision: str, tool: str = DEFAULT_TOOL) -> ModelFiles:
    return int8_model(model, tool) if check_precision(precision) == "int8" else model
