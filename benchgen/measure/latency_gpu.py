"""GPU latency: TensorRT FP16 GPU compute time, measured the way `trtexec` reports it.

Only the network's GPU time is timed (CUDA events around each enqueue, inputs already on the
device), which is what published TensorRT tables quote; host copies and CPU pre/post-processing
are excluded. At least 200 iterations and 3 seconds (trtexec's default duration) follow a warm-up.
"""

from __future__ import annotations

from pathlib import Path

from benchgen.errors import BenchgenError
from benchgen.measure.latency_cpu import probe_image
from benchgen.measure.latency_stats import summarize
from benchgen.measure.model_files import resolve_model
from benchgen.measure.tensorrt_engine import (WORKSPACE_BYTES, TrtRunner, cuda_version, ensure_engine, find_gpu,
                                              gpu_machine, import_cudart, import_tensorrt)
from benchgen.registry.schema import Registry
from benchgen.results.provenance import collect_provenance
from benchgen.results.schema import Result

MIN_ITERATIONS = 200
MIN_SECONDS = 3.0
WARMUP_SECONDS = 1.0


def measure_trt_latency(variant_id: str, weights: Path | None = None, registry: Registry | None = None,
                        iterations: int = MIN_ITERATIONS, min_seconds: float = MIN_SECONDS,
                        warmup_s: float = WARMUP_SECONDS, workspace_bytes: int = WORKSPACE_BYTES,
                        image: Path | None = None, seed: int = 0) -> Result:
    if iterations < MIN_ITERATIONS:
        raise BenchgenError(f"TensorRT timing needs at least {MIN_ITERATIONS} iterations (got {iterations})")
    gpu = find_gpu()  # before any export or file: without a GPU this is one line and nothing else
    trt, cudart = import_tensorrt(), import_cudart()
    model = resolve_model(variant_id, weights=weights, seed=seed, registry=registry)
    engine_path, build_seconds = ensure_engine(trt, gpu, model.onnx_path, model.variant.input_size, workspace_bytes)
    runner = TrtRunner(trt, cudart, engine_path)
    try:
        probe, probe_name = probe_image(image)
        feeds, _ = model.pipeline.preprocess(probe)
        runner.prepare(feeds)
        warmup = runner.gpu_compute_ms(1, warmup_s)
        stats = summarize(runner.gpu_compute_ms(iterations, min_seconds))
    finally:
        runner.close()
    return Result(
        variant=model.variant.id,
        kind="latency-gpu",
        metrics={"latency_trt_ms": stats.as_dict()["median"]},
        details={"gpu_compute": stats.as_dict(), "warmup_iterations": len(warmup),
                 "engine": engine_path.name, "engine_build_s": round(build_seconds, 1) if build_seconds else None,
                 "timed": "GPU compute only (CUDA events around each enqueue; no host copies, no pre/post-processing)"},
        settings={"backend": "tensorrt", "precision": "fp16", "batch": 1, "gpu": gpu.name, "gpu_driver": gpu.driver,
                  "cuda": cuda_version(cudart), "tensorrt": trt.__version__,
                  "workspace_mib": workspace_bytes >> 20, "min_iterations": iterations, "min_seconds": min_seconds,
                  "probe_image": probe_name, **model.settings()},
        provenance=collect_provenance(gpu_machine()),
    )
