"""Detections are reused when nothing they depend on changed, and only then."""

from __future__ import annotations

import json

import numpy as np
import onnxruntime
import pytest

from benchgen.decoders.yolox import YoloxPipeline
from benchgen.errors import BackendUnavailable
from benchgen.measure.accuracy.evaluate import evaluate_accuracy
from benchgen.measure.accuracy.dataset import load_dataset
from benchgen.measure.accuracy.inference import cache_key, detect
from benchgen.measure.backends.discovery import backend_fingerprint
from benchgen.measure.backends.runners import OrtRunner
from benchgen.registry import load_registry


class CountingFactory:
    def __init__(self, onnx_path):
        self.onnx_path, self.built = onnx_path, 0

    def __call__(self):
        self.built += 1
        return OrtRunner(self.onnx_path)


def run(tiny_model, dataset, pipeline, factory, use_cache=True):
    key, material = cache_key("sha-of-model", pipeline, backend_fingerprint("ort-cpu"), dataset)
    return detect(factory, pipeline, dataset, key, material, use_cache=use_cache, workers=2, progress=False)


def test_second_run_reads_the_cache_without_building_a_runner(tiny_model, synthetic_coco, isolated_cache):
    dataset = load_dataset(synthetic_coco.images_dir, synthetic_coco.annotations)
    pipeline, factory = YoloxPipeline(32), CountingFactory(tiny_model.onnx_path)
    first = run(tiny_model, dataset, pipeline, factory)
    second = run(tiny_model, dataset, pipeline, factory)
    assert factory.built == 1 and not first.cached and second.cached
    assert second.results == first.results and second.image_ids == dataset.image_ids
    assert first.detections_file.is_relative_to(isolated_cache)
    assert json.loads(first.detections_file.read_text()) == first.results  # COCO results format on disk
    assert all(set(row) == {"image_id", "category_id", "bbox", "score"} for row in first.results)
    assert run(tiny_model, dataset, pipeline, factory, use_cache=False).cached is False
    assert factory.built == 2


def test_key_changes_with_dataset_settings_and_model(synthetic_coco):
    full = load_dataset(synthetic_coco.images_dir, synthetic_coco.annotations)
    part = load_dataset(synthetic_coco.images_dir, synthetic_coco.annotations, max_images=3)
    backend = backend_fingerprint("ort-cpu")
    base = cache_key("a", YoloxPipeline(32), backend, full)[0]
    variants = [
        cache_key("a", YoloxPipeline(32), backend, part),  # other images
        cache_key("b", YoloxPipeline(32), backend, full),  # other model file
        cache_key("a", YoloxPipeline(32, score_threshold=0.01), backend, full),  # other post-processing
        cache_key("a", YoloxPipeline(64), backend, full),  # other input size
        cache_key("a", YoloxPipeline(32), dict(backend, backend="ort-cuda"), full),  # other backend
    ]
    assert len({base, *(key for key, _ in variants)}) == 6
    assert cache_key("a", YoloxPipeline(32), backend, full)[0] == base


def test_results_are_in_image_order_whatever_the_worker_timing(tiny_model, synthetic_coco):
    dataset = load_dataset(synthetic_coco.images_dir, synthetic_coco.annotations)
    result = run(tiny_model, dataset, YoloxPipeline(32), CountingFactory(tiny_model.onnx_path))
    ids = [r["image_id"] for r in result.results]
    assert ids == sorted(ids) and set(ids) == set(dataset.image_ids)
    assert np.isfinite([r["score"] for r in result.results]).all()


def test_unavailable_backend_fails_before_any_work(tiny_model, synthetic_coco, isolated_cache):
    """This onnxruntime has no CUDA provider (CPU wheel): one clear error, no export, no cache."""
    if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        pytest.skip("this onnxruntime has the CUDA provider")
    with pytest.raises(BackendUnavailable, match="ort-cuda needs onnxruntime-gpu"):
        evaluate_accuracy(tiny_model.variant_id, images_dir=synthetic_coco.images_dir, backend="ort-cuda",
                          registry=load_registry(tiny_model.registry_dir), progress=False)
    assert not isolated_cache.exists()
