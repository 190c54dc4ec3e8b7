"""COCO mAP of a variant: resolve its ONNX file, run it over a dataset, score with COCOeval (faster-coco-eval)."""

from __future__ import annotations

from pathlib import Path

from benchgen.errors import BenchgenError, DatasetError
from benchgen.measure.accuracy.bootstrap import bootstrap_map, paired_difference
from benchgen.measure.accuracy.coco_eval import engine_label, score_detections
from benchgen.measure.accuracy.dataset import load_dataset
from benchgen.measure.accuracy.inference import cache_key, detect
from benchgen.measure.backends.discovery import backend_fingerprint
from benchgen.measure.graph.model_files import ModelFiles, lookup, model_files
from benchgen.measure.request import MeasureRequest
from benchgen.measure.backends.runners import RUNNER_BACKENDS, make_runner
from benchgen.registry.schema import Family, Registry, Variant
from benchgen.results.provenance import collect_provenance
from benchgen.results.schema import Result


def machine_for(backend: str):
    """GPU backends file their results under the GPU machine, whose id names the GPU."""
    if backend in ("tensorrt", "ort-cuda"):
        from benchgen.measure.backends.gpu import gpu_machine

        return gpu_machine(needed_by=backend)
    return None


def evaluate_accuracy(variant_id: str, images_dir: Path | None = None, annotations: Path | None = None,
                      weights: Path | None = None, backend: str = "ort-cpu", max_images: int | None = None,
                      registry: Registry | None = None, progress: bool = True, use_cache: bool = True,
                      workers: int | None = None, seed: int = 0, precision: str = "fp32") -> Result:
    """`benchgen eval`: the variant looked up by id, then `accuracy_of`."""
    if backend not in RUNNER_BACKENDS:
        raise BenchgenError(f"unknown backend {backend!r}; choose one of {', '.join(RUNNER_BACKENDS)}")
    family, variant = lookup(variant_id, registry)
    return accuracy_of(family, variant, images_dir, annotations, weights, backend, max_images, progress, use_cache,
                       workers, seed, precision)


def measure_request(request: MeasureRequest) -> Result:
    """A refresh job (benchgen.metrics: kind accuracy)."""
    return accuracy_of(request.family, request.variant, request.images, request.annotations, request.weights,
                       request.backend, progress=False, seed=request.seed, precision=request.precision)


def precision_cost(fp32: ModelFiles, run, dataset, fingerprint: dict, backend: str, use_cache: bool,
                   workers: int | None, progress: bool) -> dict:
    """What the lower precision costs against the FP32 graph on the same images: the difference of
    the two mAPs with its paired bootstrap interval (the FP32 detections come from the cache when the
    FP32 figure was measured). The claim rule says "INT8 costs X AP" only where it excludes 0."""
    key, material = cache_key(fp32.onnx_sha256, fp32.pipeline, fingerprint, dataset)
    reference = detect(lambda: make_runner(backend, fp32.onnx_path, input_size=fp32.variant.input_size),
                       fp32.pipeline, dataset, key, material, use_cache=use_cache, workers=workers, progress=progress)
    paired = paired_difference(dataset.coco, reference.results, run.results, run.image_ids)
    return {**paired.as_dict(), "against": "fp32", "fp32_detections_key": key}


def accuracy_of(family: Family, variant: Variant, images_dir: Path | None = None, annotations: Path | None = None,
                weights: Path | None = None, backend: str = "ort-cpu", max_images: int | None = None,
                progress: bool = True, use_cache: bool = True, workers: int | None = None, seed: int = 0,
                precision: str = "fp32") -> Result:
    if family.builds(variant) is not None:
        raise BenchgenError(f"{variant.id}: built by provider {family.builds(variant).provider!r} with fixed-seed "
                            "weights, which detect nothing; its mAP stays the authors' reported figure")
    if family.implementation is not None and weights is None:
        # Refused before any export: fixed-seed weights detect nothing, and a 0.0 stored as the
        # model's mAP would replace the authors' figure on every page.
        raise BenchgenError(f"{variant.id}: mAP needs trained weights; fixed-seed random weights are not a measurement "
                            f"of the model. Pass the official checkpoint with --weights (config {variant.config})")
    fingerprint = backend_fingerprint(backend)  # fails before any export when the backend cannot run here
    if precision != "fp32" and backend == "tensorrt":
        raise BenchgenError(f"--precision {precision}: the INT8 graph runs on ONNX Runtime (ort-cpu, ort-cuda), "
                            "not in benchgen's TensorRT FP16 engine")
    from benchgen.measure.graph.quantize import with_precision

    fp32 = model_files(family, variant, weights, seed)
    model = with_precision(fp32, precision)
    dataset = load_dataset(images_dir, annotations, max_images)
    if not dataset.coco.getAnnIds(imgIds=dataset.image_ids):
        raise DatasetError(f"{dataset.annotations}: the {len(dataset.image_ids)} selected images have no annotations; "
                           "there is nothing to score (raise --max-images or use another dataset)")
    key, material = cache_key(model.onnx_sha256, model.pipeline, fingerprint, dataset)
    run = detect(lambda: make_runner(backend, model.onnx_path, input_size=model.variant.input_size),
                 model.pipeline, dataset, key, material, use_cache=use_cache, workers=workers, progress=progress,
                 source=str(model.onnx_path))
    score = score_detections(dataset.coco, run.results, run.image_ids)
    # how far another draw of as many images could move the figure (benchgen.measure.accuracy.bootstrap)
    interval = bootstrap_map(dataset.coco, run.results, run.image_ids)
    extra = {}
    if model is not fp32:
        extra["precision_cost"] = precision_cost(fp32, run, dataset, fingerprint, backend, use_cache, workers, progress)
    return Result(
        variant=model.variant.id,
        kind="accuracy",
        precision=model.precision,
        metrics={"map50_95": score.stats[0] * 100.0},
        intervals={"map50_95": interval.as_dict()},
        details={
            "coco": score.named(),
            "coco_summary": score.summary.splitlines(),
            "images": len(run.image_ids),
            "detections": len(run.results),
            "detections_file": str(run.detections_file),
            "from_cache": run.cached,
            # incomplete images are scored as they decoded; the count says how much to trust the figure
            "decode_warnings": len(run.decode_warnings),
            "decode_warning_images": run.decode_warnings[:20],
            "inference_seconds": round(run.seconds, 3),
            "images_per_second": round(run.images_per_second, 2),
            "images_dir": str(dataset.images_dir),
            "annotations": str(dataset.annotations),
            **extra,
        },
        # the engine that computed the 12 numbers (pycocotools' COCOeval in C++; tests hold the two to 1e-6)
        settings={"dataset": dataset.describe(), "backend": backend, "batch": 1, "coco_engine": engine_label(),
                  **model.settings()},
        detections_key=key,
        provenance=collect_provenance(machine_for(backend)),
    )
