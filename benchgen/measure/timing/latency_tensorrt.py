"""GPU latency: TensorRT FP16 GPU compute time, measured the way `trtexec` reports it.

Only the network's GPU time is timed (CUDA events around each enqueue, inputs already on the
device), which is what published TensorRT tables quote; host copies and CPU pre/post-processing
are excluded. At least 200 iterations and 3 seconds (trtexec's default duration) follow a warm-up.
"""

from __future__ import annotations

from pathlib import Path

from benchgen.errors import BenchgenError
from benchgen.measure.timing.latency_cpu import probe_image
from benchgen.measure.timing.stats import summarize
from benchgen.measure.backends.gpu import cuda_version, find_gpu, gpu_machine, import_cudart
from benchgen.measure.graph.model_files import ModelFiles, lookup, model_files
from benchgen.measure.request import MeasureRequest
from benchgen.measure.backends.tensorrt_engine import WORKSPACE_BYTES, TrtRunner, ensure_engine, import_tensorrt
from benchgen.registry.schema import Family, Registry, Variant
from benchgen.results.provenance import collect_provenance
from benchgen.results.schema import Result, Timing

#: the metric table's entry this module measures (benchgen.metrics)
METRIC = "latency_trt_ms"
MIN_ITERATIONS = 200
MIN_SECONDS = 3.0
WARMUP_SECONDS = 1.0


def measure_trt_latency(variant_id: str, weights: Path | None = None, registry: Registry | None = None,
                        iterations: int = MIN_ITERATIONS, min_seconds: float = MIN_SECONDS,
                        warmup_s: float = WARMUP_SECONDS, workspace_bytes: int = WORKSPACE_BYTES,
                        image: Path | None = None, seed: int = 0) -> Result:
    """`benchgen latency --backend tensorrt`: the variant looked up by id, then `trt_latency`."""
    family, variant = lookup(variant_id, registry)
    return trt_latency(family, variant, weights, seed, iterations, min_seconds, warmup_s, workspace_bytes, image)


def measure_request(request: MeasureRequest) -> Result:
    """A refresh job (benchgen.metrics: kind latency-gpu)."""
    return trt_latency(request.family, request.variant, request.weights, request.seed)


def trt_latency(family: Family, variant: Variant, weights: Path | None = None, seed: int = 0,
                iterations: int = MIN_ITERATIONS, min_seconds: float = MIN_SECONDS, warmup_s: float = WARMUP_SECONDS,
                workspace_bytes: int = WORKSPACE_BYTES, image: Path | None = None) -> Result:
    if iterations < MIN_ITERATIONS:
        raise BenchgenError(f"TensorRT timing needs at least {MIN_ITERATIONS} iterations (got {iterations})")
    # before any export or file: without a GPU this is one line and nothing else
    gpu = find_gpu(needed_by="TensorRT")
    trt, cudart = import_tensorrt(), import_cudart()
    model: ModelFiles = model_files(family, variant, weights, seed)
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
    timing = Timing(stats=stats.as_dict())
    return Result(
        variant=model.variant.id,
        kind="latency-gpu",
        metrics={METRIC: timing.stats.median},
        timing=timing,
        details={"warmup_iterations": len(warmup),
                 "engine": engine_path.name, "engine_build_s": round(build_seconds, 1) if build_seconds else None,
                 "timed": "GPU compute only (CUDA events around each enqueue; no host copies, no pre/post-processing)"},
        settings={"backend": "tensorrt", "precision": "fp16", "batch": 1, "gpu": gpu.name, "gpu_driver": gpu.driver,
                  "cuda": cuda_version(cudart), "tensorrt": trt.__version__,
                  "workspace_mib": workspace_bytes >> 20, "min_iterations": iterations, "min_seconds": min_seconds,
                  "probe_image": probe_name, **model.settings()},
        provenance=collect_provenance(gpu_machine(needed_by="TensorRT")),
    )
