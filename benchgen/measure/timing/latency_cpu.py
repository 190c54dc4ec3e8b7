"""CPU latency with ONNX Runtime at batch 1, stage by stage.

Two timed phases follow a warm-up. The network phase calls `session.run` on one fixed,
pre-processed input and nothing else, which is what the classic tables report and what is compared
across families (a bare `session.run` loop differs only by two clock reads per run; see
benchmarks/harness_overhead.py). It runs in interleaved rounds (`rounds`) under the contention
rule (`contention`), with the calibration probe (`calibration`) before and after, so every
variant timed in one session meets the same machine, and a result measured while the machine was
busy says so. The end-to-end phase then runs pre-processing, the network and post-processing on a
real image and times each stage, because NMS-based and NMS-free detectors differ exactly there; its
own load window is judged by the same rule and recorded beside its stage times.

With fixed-seed random weights the end-to-end phase is skipped: post-processing time follows the
number of boxes that pass the score threshold, and random weights pass nearly all of them (a
random DAMO-YOLO-T sends ~670,000 candidates to NMS where a trained one sends a few hundred). The
network's time does not depend on weight values, so it gets the whole budget instead.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from benchgen.errors import BenchgenError
from benchgen.measure.accuracy.dataset import default_dataset_root
from benchgen.measure.accuracy.images import read_image
from benchgen.measure.timing import calibration as calibration_probe
from benchgen.measure.timing import machine_load, peak_memory
from benchgen.measure.backends.feeds import bind_feeds
from benchgen.measure.timing.contention import ContentionRule, judge_rounds, judge_window
from benchgen.measure.timing.stats import StoppingRule, run_until_stable, summarize
from benchgen.measure.timing.machine_load import LoadMonitor
from benchgen.measure.graph.model_files import ModelFiles, lookup, model_files, progress_note
from benchgen.measure.request import MeasureRequest
from benchgen.measure.timing.progress import Every
from benchgen.measure.timing.rounds import (DEFAULT_ROUNDS, MAX_ROUNDS_FACTOR, MIN_ROUNDS, SUBJECT_CAP_FACTOR,
                                     RoundsOutcome, RoundsProgress, Subject, SubjectTiming, run_rounds)
from benchgen.measure.backends.runners import OrtRunner, Runner
from benchgen.pipeline import Pipeline
from benchgen.registry.schema import Family, Registry, Variant
from benchgen.results.provenance import collect_provenance, current_machine
from benchgen.results.schema import Calibration, PeakMemory, Result, StageTimes, Timing

#: the metric table's entry this module measures (benchgen.metrics)
METRIC = "latency_cpu_ms"
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


def time_end_to_end(runner: Runner, pipeline: Pipeline, image: np.ndarray, budget_s: float,
                    rel_ci: float = 0.01) -> StageTimes:
    """Pre-processing, network and post-processing on a real image, each stage timed."""
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

    end_to_end, reason = run_until_stable(step, StoppingRule(budget_s=budget_s, rel_ci=rel_ci))
    return StageTimes(preprocess=summarize(pre).as_dict(), inference=summarize(net).as_dict(),
                      postprocess=summarize(post).as_dict(), end_to_end=summarize(end_to_end).as_dict(),
                      stop_reason=reason, probe_detections=counts[-1])


#: raw samples kept per result for significance tests; more are thinned evenly (rounds stay represented)
MAX_STORED_SAMPLES = 1000


def stored_samples(samples: list[float]) -> list[float]:
    if len(samples) > MAX_STORED_SAMPLES:
        picks = np.linspace(0, len(samples) - 1, MAX_STORED_SAMPLES).round().astype(int)
        samples = [samples[i] for i in picks]
    return [float(f"{s:.5g}") for s in samples]


@dataclass
class LatencySubject:
    """A variant ready to be timed: its session, its fixed pre-processed input and its probe image."""

    model: ModelFiles
    runner: Runner
    image: np.ndarray
    image_name: str
    warmup_runs: int = 0
    memory: PeakMemory | None = None
    memory_error: str | None = None
    #: what the result is (a second CPU backend times through the same rounds: benchgen.metrics)
    kind: str = "latency-cpu"
    metric: str = METRIC
    #: told apart from the same variant's other subjects in one set of rounds ("" for ORT FP32)
    tag: str = ""

    @property
    def id(self) -> str:
        return f"{self.model.variant.id}{self.tag}"

    @property
    def network_share(self) -> float:
        return NETWORK_SHARE if self.model.trained else 1.0

    def subject(self, budget_s: float) -> Subject:
        feeds, _ = self.model.pipeline.preprocess(self.image)
        return Subject(self.id, self.runner.prepare(feeds), budget_s * self.network_share)

    def measure_memory(self, threads: int | None, measure: Callable[..., dict] | None = None) -> None:
        """Peak memory of this model's session, in a process of its own (benchgen.measure.timing.peak_memory);
        a failure is recorded as the reason the result has no memory figure, never the timing's failure."""
        feeds, _ = self.model.pipeline.preprocess(self.image)
        try:
            self.memory = PeakMemory(**(measure or peak_memory.measure_peak_memory)(
                self.model.onnx_path, bind_feeds(feeds, self.runner.input_names), threads))
        except Exception as exc:  # noqa: BLE001 - a missing memory figure must not cost the latency
            self.memory_error = f"the memory measurement failed: {exc}"


def check_arguments(budget_s: float, threads: int | None) -> None:
    if not np.isfinite(budget_s) or budget_s <= 0:
        raise BenchgenError(f"--budget must be a positive number of seconds (got {budget_s})")
    if threads is not None and threads < 1:
        raise BenchgenError(f"--threads must be at least 1 (got {threads})")


def prepare_subject(variant_id: str, weights: Path | None = None, threads: int | None = None,
                    registry: Registry | None = None, image: Path | None = None, seed: int = 0,
                    precision: str = "fp32") -> LatencySubject:
    """`benchgen latency`: the variant looked up by id, then `subject_of`."""
    family, variant = lookup(variant_id, registry)
    return subject_of(family, variant, weights, threads, image, seed, precision)


def subject_of(family: Family, variant: Variant, weights: Path | None = None, threads: int | None = None,
               image: Path | None = None, seed: int = 0, precision: str = "fp32") -> LatencySubject:
    from benchgen.measure.graph.quantize import with_precision

    model = with_precision(model_files(family, variant, weights, seed), precision)
    runner = OrtRunner(model.onnx_path, "ort-cpu", threads)
    probe, probe_name = probe_image(image)
    return LatencySubject(model, runner, probe, probe_name, tag="" if precision == "fp32" else f"[{precision}]")


def status_of(timing: SubjectTiming, outcome: RoundsOutcome) -> tuple[str, list[str]]:
    """'unstable' when a window stayed contended, the machine changed speed, or the rounds disagree,
    unless the user allowed a busy machine."""
    reasons = [f"round {slot.round}: {slot.verdict.text()}" for slot in timing.busy_slots]
    if outcome.probe_verdict.busy:
        reasons += list(outcome.probe_verdict.reasons)
    reasons += list(judge_rounds(timing.round_medians, outcome.rule).reasons)
    return ("ok" if outcome.allow_busy or not reasons else "unstable"), reasons


def contention_details(timing: SubjectTiming, outcome: RoundsOutcome, reasons: list[str]) -> dict[str, Any]:
    normal = calibration_probe.normal_reading([calibration_probe.ReferenceReading(r["multi_ms"], r["single_ms"])
                                               for r in outcome.reference])
    return {"verdict": "busy" if reasons else "quiet", "reasons": reasons, "allow_busy": outcome.allow_busy,
            "waited_s": round(outcome.waited_s, 1), "rule": outcome.rule.as_dict(),
            "python_threads": outcome.python_threads,
            "reference_normal": normal.as_dict() if normal else None,
            "reference_readings": len(outcome.reference),
            "slots": [slot.evidence() for slot in timing.slots]}


def calibration(outcome: RoundsOutcome) -> Calibration | None:
    probes = outcome.probe_ms
    if not probes:
        return None
    return Calibration(probe_version=calibration_probe.PROBE_VERSION, probe=calibration_probe.describe(),
                       median_ms=float(f"{float(np.median(probes)):.6g}"), before_ms=probes[0], after_ms=probes[-1],
                       drift=round(calibration_probe.drift(probes[0], probes[-1]), 4), per_round_ms=probes)


def end_to_end_phase(subject: LatencySubject, budget_s: float, rel_ci: float, monitor: LoadMonitor,
                     rule: ContentionRule) -> StageTimes:
    """Pre-processing, network and post-processing of a trained model, after the rounds, with the load
    window it ran in judged by the contention rule. The stage times are details (NMS-based and NMS-free
    detectors differ there), never the headline, so a busy window is recorded with them and does not
    change the result's status, which the rounds decide."""
    before = monitor.snapshot()
    stages = time_end_to_end(subject.runner, subject.model.pipeline, subject.image,
                             budget_s * (1.0 - subject.network_share), rel_ci)
    load = machine_load.window(before, monitor.snapshot(), monitor.cpus)
    verdict = judge_window(load, rule)
    stages.contention = {"verdict": "busy" if verdict.busy else "quiet", "reasons": list(verdict.reasons),
                         "window": load.as_dict()}
    return stages


def latency_result(subject: LatencySubject, timing: SubjectTiming, outcome: RoundsOutcome, budget_s: float,
                   rel_ci: float, end_to_end: StageTimes | None) -> Result:
    """The result of one subject's rounds (and its end-to-end phase, already run): builds, times nothing."""
    samples = timing.samples
    network = summarize(samples)
    status, reasons = status_of(timing, outcome)
    details: dict[str, Any] = {
        "rounds": {"planned": outcome.rounds, "done": len(timing.slots), "stop_reason": timing.stop_reason,
                   "timed_s": round(sum(timing.samples) / 1e3, 3),
                   "session_budget_s": round(outcome.session_budget_s, 3),
                   "session_timed_s": round(outcome.session_spent_s, 3),
                   # the subjects it met in the same rounds: its ratios to these are like-for-like
                   "shared_with": sorted(i for i in outcome.timings if i != subject.id)},
        "contention": contention_details(timing, outcome, reasons),
        "stop_reasons": {"network": timing.stop_reason},
        "warmup_runs": subject.warmup_runs,
    }
    if end_to_end is not None:
        details["latency_end_to_end_ms"] = end_to_end.end_to_end.median
    else:
        details["end_to_end_skipped"] = UNTRAINED_REASON
    if subject.memory is None:
        details["memory_skipped"] = subject.memory_error or "not measured"
    machine = current_machine()
    block = Timing(stats=network.as_dict(), samples=stored_samples(samples), round_medians_ms=timing.round_medians,
                   calibration=calibration(outcome))
    return Result(
        variant=subject.model.variant.id,
        kind=subject.kind,
        precision=subject.model.precision,
        status=status,
        metrics={subject.metric: block.stats.median},
        timing=block,
        stages=end_to_end,
        memory=subject.memory,
        details=details,
        settings={**subject.runner.settings, "batch": 1, "cpu": machine.cpu, "cpu_count": machine.cpu_count,
                  "budget_s": budget_s, "rounds": outcome.rounds, "ci_target": f"±{rel_ci:.0%} of the median at 95%",
                  # few distinct values, so the pages' provenance notes stay shared across variants
                  "ci_target_rel": rel_ci, "stop_reason": timing.stop_reason, "min_rounds": MIN_ROUNDS,
                  "max_rounds": outcome.rounds * MAX_ROUNDS_FACTOR,
                  "time_cap_s": round(SUBJECT_CAP_FACTOR * budget_s * subject.network_share, 3),
                  "allow_busy": outcome.allow_busy, "probe_image": subject.image_name, **subject.model.settings()},
        provenance=collect_provenance(machine),
    )


def measure_cpu_latencies(subjects: list[LatencySubject], budget_s: float = DEFAULT_BUDGET_S, rel_ci: float = 0.01,
                          allow_busy: bool = False, threads: int | None = None, rounds: int = DEFAULT_ROUNDS,
                          monitor: LoadMonitor | None = None, rule: ContentionRule | None = None,
                          log: Callable[[str], None] | None = None,
                          progress: Callable[[RoundsProgress], None] | None = None) -> dict[str, Result | Exception]:
    """Time every subject in the same interleaved rounds, then the end-to-end phase of the trained
    ones; one result (or the error) per variant id.

    Trained models give half the budget to the network rounds and half to the end-to-end phase;
    random-weight models give it all to the network (see the module docstring of why).
    """
    check_arguments(budget_s, threads)
    monitor = monitor or machine_load.default_monitor()
    say = Every(log or progress_note)
    for number, s in enumerate(subjects, 1):  # before any timing: each in a process of its own
        if s.memory is None and s.memory_error is None:
            s.measure_memory(threads)
        say.maybe(f"peak memory: {number} of {len(subjects)} variants measured")
    for number, s in enumerate(subjects, 1):
        s.warmup_runs = warm_up(s.runner, s.model.pipeline, s.image, max_s=max(0.5, budget_s * 0.1),
                                network_only=not s.model.trained)
        say.maybe(f"warm-up: {number} of {len(subjects)} variants warmed")
    probe = calibration_probe.make_probe(threads)
    reference = calibration_probe.make_reference(threads)
    kwargs = {"log": log} if log else {}
    outcome = run_rounds([s.subject(budget_s) for s in subjects], budget_s, monitor, probe, rounds=rounds,
                         rel_ci=rel_ci, allow_busy=allow_busy, rule=rule, progress=progress, reference=reference,
                         **kwargs)
    out: dict[str, Result | Exception] = {}
    trained = sum(s.model.trained for s in subjects)
    done = 0
    for s in subjects:
        timing = outcome.timings[s.id]
        if timing.error is not None:
            out[s.id] = timing.error
            continue
        stages = end_to_end_phase(s, budget_s, rel_ci, monitor, outcome.rule) if s.model.trained else None
        out[s.id] = latency_result(s, timing, outcome, budget_s, rel_ci, stages)
        if stages is not None:
            done += 1
            say.maybe(f"end-to-end phase: {done} of {trained} trained variants timed")
    return out


def measure_jobs(requests: list[MeasureRequest], makers: list[Callable[..., LatencySubject]],
                 log: Callable[[str], None] | None = None,
                 progress: Callable[[RoundsProgress], None] | None = None) -> list[Result | Exception]:
    """Refresh jobs of any CPU backend and precision in one set of rounds, one answer per request in
    order: `makers[i]` (its kind's `subject_of`, benchgen.metrics) prepares request i, and one that
    cannot be prepared fails alone. A variant's ONNX Runtime and OpenVINO, FP32 and INT8 subjects met
    the same machine in the same rounds, so their ratios are what a page may compare."""
    out: list[Result | Exception | None] = [None] * len(requests)
    subjects: dict[int, LatencySubject] = {}
    for number, (request, make) in enumerate(zip(requests, makers)):
        try:
            subjects[number] = make(request.family, request.variant, request.weights, seed=request.seed,
                                    precision=request.precision)
        except Exception as exc:  # noqa: BLE001 - isolate any failure of one job from the others
            out[number] = exc
    if subjects:  # one refresh's requests share its budget and --allow-busy
        ids = [s.id for s in subjects.values()]
        if len(set(ids)) != len(ids):
            raise ValueError(f"two subjects of one set of rounds share an id: {sorted(ids)}")
        timed = measure_cpu_latencies(list(subjects.values()), budget_s=requests[0].latency_budget_s,
                                      allow_busy=requests[0].allow_busy, log=log,
                                      progress=progress or requests[0].progress)
        for number, s in subjects.items():
            out[number] = timed[s.id]
    return out  # type: ignore[return-value]


def measure_cpu_latency(variant_id: str, weights: Path | None = None, budget_s: float = DEFAULT_BUDGET_S,
                        threads: int | None = None, registry: Registry | None = None, image: Path | None = None,
                        rel_ci: float = 0.01, seed: int = 0, allow_busy: bool = False,
                        monitor: LoadMonitor | None = None, rule: ContentionRule | None = None,
                        log: Callable[[str], None] | None = None, precision: str = "fp32") -> Result:
    check_arguments(budget_s, threads)
    subject = prepare_subject(variant_id, weights, threads, registry, image, seed, precision)
    outcome = measure_cpu_latencies([subject], budget_s, rel_ci, allow_busy, threads, monitor=monitor, rule=rule,
                                    log=log)[subject.id]
    if isinstance(outcome, Exception):
        raise outcome
    return outcome
