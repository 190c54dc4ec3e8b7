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

import contextlib
import dataclasses
import sys
import hashlib
import os
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from benchgen.atomic_files import reserve_temp_path
from benchgen.errors import BenchgenError, DatasetError
from benchgen.measure.accuracy.images import read_image
from benchgen.measure.graph.model_files import ModelFiles, progress_note, sha256_file, short_hash
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
#: 2: opset raised to 13 before quantising (per-channel weights for opset-11 exports);
#: 3: NNCF's MIXED preset (asymmetric activations, as the recipe says) instead of PERFORMANCE
#: (symmetric): PicoDet-S's paired cost on tiny80 went from -14.3 to -5.9 AP
RECIPE_VERSION = 3


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """The quantisers log and draw progress bars on stdout (NNCF's logger holds the stream it found at
    import), and stdout is the result's alone (--json): both the Python stream and file descriptor 1
    go to stderr for the duration."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


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
            "activations": "uint8 asymmetric per tensor, min/max calibration", "format": "QDQ ONNX",
            "fp32_layers": "the last Conv/MatMul/Gemm before each output" if tool == "nncf" and KEEP_HEAD_FP32 else "none"}


def tool_version(tool: str) -> str:
    if tool == "nncf":
        import nncf

        return nncf.__version__
    import onnxruntime

    return onnxruntime.__version__


def prepared_source(onnx_path: Path, scratch: Path) -> Path:
    """The graph both quantisers start from, written to `scratch` where it differs from the file:
    - initializers that an old exporter also listed as inputs become constants (the cleaning ONNX
      Runtime's session gets, benchgen.measure.backends.runners.session_source): a quantiser would otherwise
      treat those weights as inputs and leave them, and what follows them, in FP32;
    - opset below 13 is converted to 13: QuantizeLinear takes per-channel scales (`axis`) from 13
      on; below it NNCF falls back to per-tensor weights and ORT's quantiser writes an invalid graph."""
    import onnx
    import onnx.version_converter

    from benchgen.measure.backends.runners import session_source

    source = session_source(onnx_path)
    model = onnx.load_from_string(source) if isinstance(source, bytes) else onnx.load(source)
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
    if opset >= PER_CHANNEL_OPSET and isinstance(source, str):
        return Path(source)
    if opset < PER_CHANNEL_OPSET:
        model = onnx.version_converter.convert_version(model, PER_CHANNEL_OPSET)
    onnx.save(model, str(scratch))
    return scratch


#: keep the last Conv/MatMul/Gemm before each graph output in FP32 (see output_layers). Off: tried
#: with the PERFORMANCE preset, it moved PicoDet-S's cost from -14.20 to -14.27 AP and YOLOX-Nano's
#: from -0.44 to -0.83 (tiny80), so the head is not where the INT8 error comes from
KEEP_HEAD_FP32 = False
COMPUTE_OPS = ("Conv", "ConvTranspose", "MatMul", "Gemm")


def output_layers(model) -> list[str]:
    """The last weighted layer on each path to a graph output (walking back through reshapes,
    activations and concatenations). Detector heads write scores in [0, 1] and box terms in pixels
    or bins through these layers; an 8-bit grid there is the largest single error of the recipe."""
    producer = {out: node for node in model.graph.node for out in node.output}
    found, seen = [], set()
    stack = [o.name for o in model.graph.output]
    while stack:
        tensor = stack.pop()
        node = producer.get(tensor)
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if node.op_type in COMPUTE_OPS:
            found.append(node.name)
            continue
        stack.extend(node.input)
    return sorted(n for n in found if n)


def _input_names(onnx_path: Path) -> list[str]:
    import onnx

    model = onnx.load(str(onnx_path), load_external_data=False)
    initializers = {i.name for i in model.graph.initializer}
    return [i.name for i in model.graph.input if i.name not in initializers]


def quantize_nncf(source: Path, target: Path, feeds: list[dict[str, np.ndarray]]) -> None:
    import nncf
    import onnx

    names = _input_names(source)
    model = onnx.load(str(source))
    data = nncf.Dataset(feeds, lambda f: _bound(f, names))
    head = output_layers(model)
    ignored = nncf.IgnoredScope(names=head, validate=False) if head and KEEP_HEAD_FP32 else None
    quantized = nncf.quantize(model, data, subset_size=len(feeds), preset=nncf.QuantizationPreset.MIXED,
                              **({"ignored_scope": ignored} if ignored else {}))
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
    from benchgen.measure.backends.feeds import bind_feeds

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
            with stdout_to_stderr():
                QUANTIZERS[tool](prepared_source(model.onnx_path, source), tmp, feeds)
            from benchgen.measure.backends.openvino_runner import stop_telemetry_thread

            stop_telemetry_thread()  # NNCF sends its events through the same pool
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
