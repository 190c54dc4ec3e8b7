"""Run a model over a dataset, overlapping image work with inference, and cache the detections.

JPEG decoding, letterboxing and NMS cost about as much as a small network's forward pass, so they
run in a thread pool (cv2, NumPy and ONNX Runtime release the GIL) while the main thread keeps the
backend busy. Detections are stored on disk in COCO's results format under a key of everything
that can change them (model file, pre/post-processing code and settings, backend, dataset), so
re-scoring or re-rendering never repeats inference.
"""

from __future__ import annotations

import collections
import hashlib
import inspect
import json
import os
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeElapsedColumn
from rich.text import Text

import benchgen
from benchgen.measure.accuracy.coco_eval import to_coco_results
from benchgen.measure.accuracy.dataset import CocoDataset
from benchgen.measure.accuracy.images import read_image
from benchgen.measure.graph.model_files import cache_root, short_hash
from benchgen.errors import BenchgenError
from benchgen.measure.backends.runners import Runner
from benchgen.pipeline import Pipeline
from benchgen.results.store import atomic_write_text


@dataclass
class InferenceRun:
    results: list[dict]  # COCO results format
    image_ids: list[int]
    seconds: float  # wall time of the inference pass that produced the results
    cached: bool
    detections_file: Path
    key: str
    decode_warnings: list[str] = field(default_factory=list)  # "<file>: <why>" for incomplete images

    @property
    def images_per_second(self) -> float:
        return len(self.image_ids) / self.seconds if self.seconds > 0 else 0.0


def _source_hash(obj: Any) -> str:
    """The pipeline's own module plus the shared post-processing it calls (NMS): edits there change detections."""
    package = Path(benchgen.__file__).parent
    files = [package / "pipeline.py", *sorted((package / "postprocess").glob("*.py"))]
    try:
        files.insert(0, Path(inspect.getsourcefile(type(obj))))
    except TypeError:  # defined outside a file: its qualified name must do
        pass
    digest = hashlib.sha256(type(obj).__qualname__.encode())
    for path in files:
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cache_key(onnx_sha256: str, pipeline: Pipeline, backend: dict[str, Any], dataset: CocoDataset) -> tuple[str, dict]:
    material = {"onnx_sha256": onnx_sha256, "pipeline": type(pipeline).__qualname__,
                "pipeline_code": _source_hash(pipeline), "pipeline_settings": getattr(pipeline, "settings", None),
                "input_size": list(pipeline.input_size), "backend": backend, "dataset": dataset.fingerprint,
                "benchgen": benchgen.__version__}
    return short_hash(material), material


class _RateColumn(ProgressColumn):
    def render(self, task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:6.1f} img/s" if speed else "    - img/s", style="progress.data.speed")


def _progress(enabled: bool) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), _RateColumn(),
                    TimeElapsedColumn(), console=Console(stderr=True), disable=not enabled)


def _load(pipeline: Pipeline, image_id: int, path: Path):
    image = read_image(path, "replace the file or remove it from the annotations")
    feeds, meta = pipeline.preprocess(image.pixels)
    return image_id, feeds, meta, (f"{path.name}: {image.warning}" if image.warning else None)


def _postprocess(pipeline: Pipeline, image_id: int, outputs, meta) -> list[dict]:
    return to_coco_results(image_id, pipeline.postprocess(outputs, meta))


def non_finite(outputs) -> str | None:
    """Which network output holds NaN or infinite values, and how many, or None."""
    import numpy as np

    for index, output in enumerate(outputs):
        array = np.asarray(output)
        if np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.complexfloating):
            bad = int(array.size - np.count_nonzero(np.isfinite(array)))
            if bad:
                return f"output {index} holds {bad} NaN or infinite value{'s' if bad != 1 else ''} of {array.size}"
    return None


def _results(posts: list[Future], source: str) -> list[dict]:
    try:
        return [row for future in posts for row in future.result()]
    except BenchgenError as exc:  # a decoder's one line, found at run time: say which model it was
        raise BenchgenError(f"{source}: {exc}") from None


def run_images(runner: Runner, pipeline: Pipeline, dataset: CocoDataset, workers: int | None = None,
               progress: bool = True, decode_warnings: list[str] | None = None,
               source: str = "the model") -> list[dict]:
    """Detections of every dataset image in COCO results format, in image-id order.

    Images that decoded but are incomplete are appended to `decode_warnings`. A network output
    with NaN or infinite values stops the run (BenchgenError naming `source` and the image): no
    detections can be read from it, and an mAP of 0.0 from it would be stored as a measurement."""
    workers = workers or max(2, min(4, os.cpu_count() or 2))
    pending: collections.deque[Future] = collections.deque()
    posts: list[Future] = []
    ids = iter(dataset.image_ids)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="benchgen-images") as pool, \
            _progress(progress) as bar:
        task = bar.add_task("inference", total=len(dataset.image_ids))

        def submit_next() -> None:
            image_id = next(ids, None)
            if image_id is not None:
                pending.append(pool.submit(_load, pipeline, image_id, dataset.files[image_id]))

        for _ in range(2 * workers):  # enough queued that the backend never waits for a decode
            submit_next()
        while pending:
            image_id, feeds, meta, warning = pending.popleft().result()
            if warning and decode_warnings is not None:
                decode_warnings.append(warning)
            submit_next()
            outputs = runner.run(feeds)
            problem = non_finite(outputs)
            if problem:
                raise BenchgenError(f"{source}: {problem} on image {dataset.files[image_id].name}; the weights or the "
                                    "export are broken (NaN weights?), so nothing is measured: re-export the model "
                                    "from a good checkpoint")
            posts.append(pool.submit(_postprocess, pipeline, image_id, outputs, meta))
            bar.advance(task)
        return _results(posts, source)


def detections_dir(key: str) -> Path:
    return cache_root() / "detections" / key


def read_cached(key: str) -> InferenceRun | None:
    folder = detections_dir(key)
    try:
        run = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        results = json.loads((folder / "detections.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return InferenceRun(results, run["image_ids"], run["seconds"], True, folder / "detections.json", key,
                        run.get("decode_warnings", []))


def write_cache(key: str, material: dict, results: list[dict], image_ids: list[int], seconds: float,
                decode_warnings: list[str] | None = None) -> Path:
    """detections.json first, run.json last: run.json's presence says the pair is complete."""
    folder = detections_dir(key)
    atomic_write_text(folder / "detections.json", json.dumps(results, separators=(",", ":")))
    atomic_write_text(folder / "run.json", json.dumps({"key": material, "image_ids": image_ids, "seconds": seconds,
                                                       "decode_warnings": decode_warnings or []}, indent=1))
    return folder / "detections.json"


def detect(make_runner: Callable[[], Runner], pipeline: Pipeline, dataset: CocoDataset, key: str, material: dict,
           use_cache: bool = True, workers: int | None = None, progress: bool = True,
           source: str = "the model") -> InferenceRun:
    """Cached detections when the key matches, else a fresh pass (the runner is built only then)."""
    if use_cache and (cached := read_cached(key)) is not None:
        return cached
    runner = make_runner()
    start = time.perf_counter()
    warnings: list[str] = []
    results = run_images(runner, pipeline, dataset, workers=workers, progress=progress, decode_warnings=warnings,
                         source=source)
    seconds = time.perf_counter() - start
    path = write_cache(key, material, results, dataset.image_ids, seconds, warnings)
    return InferenceRun(results, dataset.image_ids, seconds, False, path, key, warnings)
