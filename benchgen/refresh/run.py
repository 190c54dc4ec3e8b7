"""Run a refresh plan: one job at a time, each result written as soon as it exists.

A job that fails is recorded as a failed result with its error, and the others go on. SIGTERM is
turned into KeyboardInterrupt so a killed refresh stops like Ctrl-C does: everything finished
before is already on disk (atomically written), nothing partial is, and the next run resumes
because finished jobs are no longer stale.
"""

from __future__ import annotations

import signal
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from benchgen.refresh.plan import Job
from benchgen.registry.schema import Registry
from benchgen.results.history import Delta, result_delta
from benchgen.results.provenance import collect_provenance, current_machine
from benchgen.results.schema import Result
from benchgen.results.store import write_result


@dataclass
class Options:
    latency_budget_s: float = 20.0
    images: Path | None = None
    annotations: Path | None = None
    seed: int = 0


@dataclass
class Outcome:
    written: list[Path] = field(default_factory=list)
    failed: list[Result] = field(default_factory=list)
    regressions: list[tuple[str, Delta]] = field(default_factory=list)


def measure(job: Job, registry: Registry, options: Options) -> Result:
    """Dispatch to the measuring code; imported lazily so planning never loads torch."""
    variant = job.variant.id
    if job.kind == "size":
        from benchgen.measure.size import measure_size

        return measure_size(variant, weights=job.weights, registry=registry, seed=options.seed)
    if job.kind == "latency-cpu":
        from benchgen.measure.latency_cpu import measure_cpu_latency

        return measure_cpu_latency(variant, weights=job.weights, budget_s=options.latency_budget_s,
                                   registry=registry, seed=options.seed)
    if job.kind == "latency-gpu":
        from benchgen.measure.latency_gpu import measure_trt_latency

        return measure_trt_latency(variant, weights=job.weights, registry=registry, seed=options.seed)
    if job.kind == "latency-torch-cuda":
        from benchgen.measure.latency_torch import measure_torch_latency

        return measure_torch_latency(variant, weights=job.weights, registry=registry, seed=options.seed)
    if job.kind == "accuracy":
        from benchgen.measure.accuracy import evaluate_accuracy

        return evaluate_accuracy(variant, images_dir=options.images, annotations=options.annotations,
                                 weights=job.weights, backend=job.backend, registry=registry, progress=False,
                                 seed=options.seed)
    raise ValueError(f"unknown measurement kind {job.kind!r}")


def failed_result(job: Job, exc: BaseException) -> Result:
    message = f"{type(exc).__name__}: {exc}".strip().splitlines()
    machine = current_machine()
    if machine.id != job.machine_id:
        machine = machine.model_copy(update={"id": job.machine_id})
    return Result(variant=job.variant.id, kind=job.kind, status="failed", error=" ".join(message)[:500],
                  settings={"backend": job.backend}, cache_key=job.key,
                  details={"traceback": traceback.format_exception(exc)[-3:]},
                  provenance=collect_provenance(machine=machine))


@contextmanager
def sigterm_as_interrupt():
    def handler(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def execute(jobs: list[Job], registry: Registry, results_dir: Path, previous: list[Result], options: Options,
            console: Console | None = None,
            measure_fn: Callable[[Job, Registry, Options], Result] = measure) -> Outcome:
    console = console or Console(stderr=True)
    outcome = Outcome()
    last_ok = {(r.provenance.machine.id, r.variant, r.kind): r for r in previous if r.status == "ok"}
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with sigterm_as_interrupt(), Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("refresh", total=len(jobs))
        for job in jobs:
            progress.update(task, description=f"measuring {job.label}")
            try:
                result = measure_fn(job, registry, options)
            except Exception as exc:  # noqa: BLE001 - isolate any failure of one job from the others
                result = failed_result(job, exc)
                outcome.failed.append(result)
                progress.console.print(f"[red]failed[/red] {job.label}: {escape(result.error or '')}")
            else:
                if result.cache_key and result.cache_key != job.key:
                    result.details["measure_cache_key"] = result.cache_key
                result.cache_key = job.key
                before = last_ok.get((result.provenance.machine.id, result.variant, result.kind))
                for metric in result.metrics:
                    change = result_delta(metric, before, result)
                    if change and change.regression:
                        outcome.regressions.append((job.variant.id, change))
                        progress.console.print(f"[bold red]regression[/bold red] {job.variant.id} {metric}: "
                                               f"{change.previous:g} -> {change.current:g} ({change.describe()})")
                summary = ", ".join(f"{k}={v:.4g}" for k, v in result.metrics.items())
                progress.console.print(f"[green]ok[/green] {job.label}: {summary}")
            outcome.written.append(write_result(result, results_dir))
            progress.advance(task)
    return outcome
