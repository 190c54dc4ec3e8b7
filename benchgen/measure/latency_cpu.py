"""CPU latency with ONNX Runtime at batch 1, stage by stage.

Two timed phases follow a warm-up. The network phase calls `session.run` on one fixed,
pre-processed input and nothing else, which is what the classic tables report and what is compared
across families (a bare `session.run` loop differs only by two clock reads per run; see
benchmarks/harness_overhead.py). The end-to-end phase then runs pre-processing, the network and
post-processing on a real image and times each stage, because NMS-based and NMS-free detectors
differ exactly there. Each phase stops when the confidence interval of its median is tight or its
share of the time budget is spent.

With fixed-seed random weights the end-to-end phase is skipped: post-processing time follows the
number of boxes that pass the score threshold, and random weights pass nearly all of them (a
random DAMO-YOLO-T sends ~670,000 candidates to NMS where a trained one sends a few hundred). The
network's time does not depend on weight values, so it gets the whole budget instead.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchgen.errors import BenchgenError
from benchgen.measure.dataset import default_dataset_root
from benchgen.measure.images import read_image
from benchgen.measure.latency_stats import LatencyStats, StoppingRule, run_until_stable, summarize
from benchgen.measure.model_files import resolve_model
from benchgen.measure.runners import OrtRunner, Runner
from benchgen.pipeline import Pipeline
from benchgen.registry.schema import Registry
from benchgen.results.provenance import collect_provenance, current_machine
from benchgen.results.schema import Result

DEFAULT_BUDGET_S = 20.0
#: share of the budget for the network phase; the end-to-end phase gets what is left
NETWORK_SHARE = 0.5


def probe_image(path: Path | None = None) -> tuple[np.ndarray, str]:
    """A real photo by default (NMS time depends on the scene); a fixed-seed noise image if none is around."""
    if path is None:
        folder = default_dataset_root() / "val2017"
        candidates = sorted(folder.glob("*.jpg")) if folder.is_dir() else []
        path = candidates[0] if candidates else None
    if path is None:
        image = np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8)
        return image, "synthetic 640x480 noise (seed 0)"
    image = read_image(path, "give another --image").pixels
    return image, f"{Path(path).name} ({image.shape[1]}x{image.shape[0]})"


UNTRAINED_REASON = ("fixed-seed random weights: post-processing time depends on how many boxes pass the score "
                    "threshold, which random weights do not represent")


@dataclass
class PipelineTiming:
    network: LatencyStats  # session.run alone on a fixed input: the headline
    stop_reasons: dict[str, str]
    warmup_runs: int
    end_to_end: LatencyStats | None = None  # None when the end-to-end phase was skipped
    preprocess: LatencyStats | None = None
    network_in_pipeline: LatencyStats | None = None
    postprocess: LatencyStats | None = None
    detections: int | None = None  # on the probe image, so a reader can judge the post-processing time
    skipped: str | None = None  # why the end-to-end phase did not run

    def details(self) -> dict[str, Any]:
        details: dict[str, Any] = {"network": self.network.as_dict(), "stop_reasons": self.stop_reasons,
                                   "warmup_runs": self.warmup_runs}
        if self.end_to_end is None:
            return {**details, "end_to_end_skipped": self.skipped}
        return {**details, "end_to_end": self.end_to_end.as_dict(), "preprocess": self.preprocess.as_dict(),
                "network_in_pipeline": self.network_in_pipeline.as_dict(),
                "postprocess": self.postprocess.as_dict(), "probe_detections": self.detections}


def warm_up(runner: Runner, pipeline: Pipeline, image: np.ndarray, min_runs: int = 5, min_s: float = 1.0,
            max_s: float = 5.0, network_only: bool = False) -> int:
    """Whole-pipeline runs (or network runs) until caches, allocators and thread pools have settled."""
    start, runs = time.perf_counter(), 0
    feeds, meta = pipeline.preprocess(image)
    while True:
        if network_only:
            runner.run(feeds)
        else:
            feeds, meta = pipeline.preprocess(image)
            pipeline.postprocess(runner.run(feeds), meta)
        runs += 1
        elapsed = time.perf_counter() - start
        if (runs >= min_runs and elapsed >= min_s) or elapsed >= max_s:
            return runs


def time_network(call, rule: StoppingRule) -> tuple[list[float], str]:
    clock = time.perf_counter_ns

    def step() -> int:
        t0 = clock()
        call()
        return clock() - t0

    return run_until_stable(step, rule)


def time_pipeline(runner: Runner, pipeline: Pipeline, image: np.ndarray, budget_s: float = DEFAULT_BUDGET_S,
                  rel_ci: float = 0.01, end_to_end: bool = True,
                  skip_reason: str = UNTRAINED_REASON) -> PipelineTiming:
    """Warm-up is not counted in the budget; the two timed phases share it (or the network phase
    has it all when `end_to_end` is False)."""
    warmup = warm_up(runner, pipeline, image, max_s=max(0.5, budget_s * 0.1), network_only=not end_to_end)
    feeds, _ = pipeline.preprocess(image)
    start = time.perf_counter()
    share = NETWORK_SHARE if end_to_end else 1.0
    network, network_reason = time_network(runner.prepare(feeds),
                                           StoppingRule(budget_s=budget_s * share, rel_ci=rel_ci))
    if not end_to_end:
        return PipelineTiming(network=summarize(network), stop_reasons={"network": network_reason},
                              warmup_runs=warmup, skipped=skip_reason)
    remaining = max(0.1 * budget_s, budget_s - (time.perf_counter() - start))

    clock = time.perf_counter_ns
    pre, net, post = [], [], []
    counts = []

    def step() -> int:
        t0 = clock()
        feeds, meta = pipeline.preprocess(image)
        t1 = clock()
        outputs = runner.run(feeds)
        t2 = clock()
        detections = pipeline.postprocess(outputs, meta)
        t3 = clock()
        pre.append((t1 - t0) / 1e6)
        net.append((t2 - t1) / 1e6)
        post.append((t3 - t2) / 1e6)
        counts.append(len(detections))
        return t3 - t0

    end_to_end, e2e_reason = run_until_stable(step, StoppingRule(budget_s=remaining, rel_ci=rel_ci))
    return PipelineTiming(network=summarize(network), end_to_end=summarize(end_to_end), preprocess=summarize(pre),
                          network_in_pipeline=summarize(net), postprocess=summarize(post),
                          stop_reasons={"network": network_reason, "end_to_end": e2e_reason}, warmup_runs=warmup,
                          detections=counts[-1])


def measure_cpu_latency(variant_id: str, weights: Path | None = None, budget_s: float = DEFAULT_BUDGET_S,
                        threads: int | None = None, registry: Registry | None = None, image: Path | None = None,
                        rel_ci: float = 0.01, seed: int = 0) -> Result:
    if budget_s <= 0:
        raise BenchgenError(f"--budget must be positive (got {budget_s})")
    if threads is not None and threads < 1:
        raise BenchgenError(f"--threads must be at least 1 (got {threads})")
    model = resolve_model(variant_id, weights=weights, seed=seed, registry=registry)
    runner = OrtRunner(model.onnx_path, "ort-cpu", threads)
    probe, probe_name = probe_image(image)
    timing = time_pipeline(runner, model.pipeline, probe, budget_s=budget_s, rel_ci=rel_ci, end_to_end=model.trained)
    machine = current_machine()
    details = timing.details()
    if "end_to_end" in details:
        details["latency_end_to_end_ms"] = details["end_to_end"]["median"]
    return Result(
        variant=model.variant.id,
        kind="latency-cpu",
        metrics={"latency_cpu_ms": details["network"]["median"]},
        details=details,
        settings={**runner.settings, "batch": 1, "cpu": machine.cpu, "cpu_count": machine.cpu_count,
                  "budget_s": budget_s, "ci_target": f"±{rel_ci:.0%} of the median at 95%", "probe_image": probe_name,
                  **model.settings()},
        provenance=collect_provenance(machine),
    )
