"""Run a refresh plan: size, accuracy and GPU jobs one at a time, CPU latencies in shared rounds.

Every stale CPU latency is timed in the same interleaved rounds (measure.rounds), so the variants
compared on a page met the same machine. A latency that looks like a regression against the last
good result is timed once more, in the same refresh, before the flag is published: the written
result is the second timing, and the flag stands only if that one is a regression too.

A job that fails is recorded as a failed result with its error, and the others go on. SIGTERM is
turned into KeyboardInterrupt so a killed refresh stops like Ctrl-C does: everything finished
before is already on disk (atomically written), nothing partial is, and the next run resumes
because finished jobs are no longer stale.
"""

from __future__ import annotations

import dataclasses
import signal
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Union

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from benchgen.errors import raise_terminated
from benchgen.measure.request import MeasureRequest
from benchgen.metrics import KINDS, resolve
from benchgen.refresh.plan import Job
from benchgen.refresh.progress_lines import JobLines, RoundsLines
from benchgen.registry.schema import Registry
from benchgen.results.history import Delta, result_delta
from benchgen.results.index import Results, as_headers
from benchgen.results.provenance import collect_provenance, current_machine
from benchgen.results.schema import Result, unstable_reasons
from benchgen.results.store import write_result


@dataclass
class Options:
    latency_budget_s: float = 20.0
    images: Path | None = None
    annotations: Path | None = None
    seed: int = 0
    allow_busy: bool = False
    #: where the rounds stand (refresh.progress_lines.RoundsLines): set by `execute`
    progress: Callable[..., None] | None = None


@dataclass
class Outcome:
    written: list[Path] = field(default_factory=list)
    failed: list[Result] = field(default_factory=list)
    unstable: list[Result] = field(default_factory=list)
    regressions: list[tuple[str, Delta]] = field(default_factory=list)
    unconfirmed: list[tuple[str, Delta]] = field(default_factory=list)  # flagged once, not on re-measuring


LatencyOutcome = dict[str, Union[Result, Exception]]


def request(job: Job, registry: Registry, options: Options) -> MeasureRequest:
    """The job as its measuring function takes it: objects, never an id to look up again."""
    return MeasureRequest(job.family, job.variant, job.backend, weights=job.weights, seed=options.seed,
                          registry=registry, images=options.images, annotations=options.annotations,
                          latency_budget_s=options.latency_budget_s, allow_busy=options.allow_busy,
                          progress=options.progress, precision=job.precision)


def outcome_key(job: Job) -> str:
    """Where a latency job's result is in what the timing returns: its variant id, then its kind and
    precision where they are not the first CPU column's."""
    if (job.kind, job.precision) == ("latency-cpu", "fp32"):
        return job.variant.id
    return f"{job.variant.id}@{job.kind}@{job.precision}"


def measure(job: Job, registry: Registry, options: Options) -> Result:
    """One job, by its kind's measuring function in the metric table (imported lazily: planning never
    loads torch)."""
    kind = KINDS[job.kind]
    if kind.measure is None:
        raise ValueError(f"kind {job.kind!r} is timed with the other CPU latencies (measure_latencies), not alone")
    return resolve(kind.measure)(request(job, registry, options))


#: CPU latency subjects timed in one set of rounds at most: every subject holds its session (and
#: ONNX Runtime's arena) for the whole set, and 61 FP32 sessions at once held 19 GB of this 24 GB VM
MAX_SUBJECTS_PER_ROUNDS = 32


def rounds_groups(jobs: list[Job], limit: int = MAX_SUBJECTS_PER_ROUNDS) -> list[list[Job]]:
    """Whole families packed, in plan order, into sets of rounds of at most `limit` subjects: a
    variant's backends and precisions always share rounds (their ratio is a page's comparison), as
    do the variants of a family; a family larger than `limit` has a set of its own."""
    families: dict[str, list[Job]] = {}
    for job in jobs:
        families.setdefault(job.family.id, []).append(job)
    groups: list[list[Job]] = []
    for members in families.values():
        if groups and len(groups[-1]) + len(members) <= limit:
            groups[-1].extend(members)
        else:
            groups.append(list(members))
    return groups


def measure_latencies(jobs: list[Job], registry: Registry, options: Options,
                      log: Callable[[str], None]) -> LatencyOutcome:
    """CPU latency jobs of every backend and precision timed together in one set of interleaved rounds
    (benchgen.measure.timing.latency_cpu.measure_jobs); each job's subject is prepared by its kind's
    `cpu_subject` first (a failure is that job's alone)."""
    from benchgen.measure.timing.latency_cpu import measure_jobs

    timed = measure_jobs([request(j, registry, options) for j in jobs],
                         [resolve(KINDS[j.kind].cpu_subject) for j in jobs], log)
    return {outcome_key(j): result for j, result in zip(jobs, timed)}


def failed_result(job: Job, exc: BaseException) -> Result:
    message = f"{type(exc).__name__}: {exc}".strip().splitlines()
    machine = current_machine()
    if machine.id != job.machine_id:
        machine = machine.model_copy(update={"id": job.machine_id})
    return Result(variant=job.variant.id, kind=job.kind, precision=job.precision, status="failed",
                  error=" ".join(message)[:500],
                  settings={"backend": job.backend}, cache_key=job.key,
                  details={"traceback": traceback.format_exception(exc)[-3:]},
                  provenance=collect_provenance(machine=machine))


@contextmanager
def sigterm_as_interrupt():
    previous = signal.signal(signal.SIGTERM, raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class Recorder:
    """Writes each finished result and says on the console what it was."""

    def __init__(self, results_dir: Path, previous: Results, outcome: Outcome, console: Console) -> None:
        self.results_dir, self.outcome, self.console = results_dir, outcome, console
        # headers: only the last good result of a cell something was measured for is read in full
        self.last_ok = {(h.machine_id, h.variant, h.kind): h for h in as_headers(previous)
                        if h.status == "ok" and h.precision == "fp32"}

    def finish(self, job: Job, result: Result) -> Result:
        result.cache_key = job.key
        return result

    def deltas(self, result: Result) -> list[Delta]:
        before = self.last_ok.get((result.provenance.machine.id, result.variant, result.kind))
        if result.status != "ok" or before is None or result.precision != "fp32":
            return []
        previous = before.load()
        changes = [result_delta(metric, previous, result) for metric in result.metrics]
        return [c for c in changes if c is not None and c.regression]

    def write(self, job: Job, result: Result | BaseException, suffix: str = "") -> None:
        if isinstance(result, BaseException):
            result = failed_result(job, result)
            self.outcome.failed.append(result)
            self.console.print(f"[red]failed[/red] {escape(job.label)}: {escape(result.error or '')}{suffix}",
                               soft_wrap=not self.console.is_terminal)
        else:
            result = self.finish(job, result)
            for change in self.deltas(result):
                self.outcome.regressions.append((job.variant.id, change))
                self.console.print(f"[bold red]regression[/bold red] {job.variant.id} {change.metric}: "
                                   f"{change.previous:g} -> {change.current:g} ({change.describe()}"
                                   f"{describe_evidence(change)})")
            summary = ", ".join(f"{k}={v:.4g}" for k, v in result.metrics.items())
            if result.status == "unstable":
                self.outcome.unstable.append(result)
                why = "; ".join(unstable_reasons(result))
                self.console.print(f"[yellow]unstable[/yellow] {escape(job.label)}: {summary} "
                                   f"(not published: {escape(why)}){suffix}",
                                   soft_wrap=not self.console.is_terminal)
            else:
                self.console.print(f"[green]ok[/green] {escape(job.label)}: {summary}{suffix}",
                                   soft_wrap=not self.console.is_terminal)
        self.outcome.written.append(write_result(result, self.results_dir))


def describe_evidence(change: Delta) -> str:
    bits = []
    if change.p_value is not None:
        bits.append(f"Mann-Whitney p={change.p_value:.2g}")
    if change.machine_ratio is not None:
        bits.append(f"probe x{change.machine_ratio:.2f}, {change.normalized_relative * 100:+.1f} % normalised")
    return f"; {', '.join(bits)}" if bits else ""


def confirm_regressions(jobs: list[Job], timed: LatencyOutcome, recorder: Recorder, registry: Registry,
                        options: Options, log: Callable[[str], None],
                        latency_fn: Callable[..., LatencyOutcome]) -> LatencyOutcome:
    """Re-time the variants whose first timing looks like a regression; their second timing is the result."""
    flagged = {}
    for job in jobs:
        result = timed.get(outcome_key(job))
        if isinstance(result, Result) and job.precision == "fp32":
            changes = recorder.deltas(result)
            if changes:
                flagged[job.variant.id] = (job, result, changes)
    if not flagged:
        return timed
    log(f"{len(flagged)} latency change(s) beyond noise ({', '.join(flagged)}); timing them again to confirm")
    again = latency_fn([job for job, _, _ in flagged.values()], registry, options, log)
    for variant_id, (job, first, changes) in flagged.items():
        second = again.get(variant_id)
        if not isinstance(second, Result):
            continue  # the re-timing failed: keep the first timing, whose flag then stands unconfirmed
        confirmed = bool(recorder.deltas(second))
        second.details["confirmation"] = {
            "first_median_ms": first.timing.stats.median if first.timing else None, "first_date": first.provenance.date.isoformat(),
            "first_flag": changes[0].describe(), "confirmed": confirmed}
        if not confirmed:
            recorder.outcome.unconfirmed.append((variant_id, changes[0]))
            log(f"{variant_id}: the re-timing does not confirm the change ({changes[0].describe()} at first); "
                "no regression is published")
        timed[variant_id] = second
    return timed


def execute(jobs: list[Job], registry: Registry, results_dir: Path, previous: Results, options: Options,
            console: Console | None = None,
            measure_fn: Callable[[Job, Registry, Options], Result] = measure,
            latency_fn: Callable[..., LatencyOutcome] = measure_latencies) -> Outcome:
    console = console or Console(stderr=True)
    outcome = Outcome()
    latency_jobs = [j for j in jobs if KINDS[j.kind].cpu_subject is not None]
    one_by_one = [j for j in jobs if KINDS[j.kind].cpu_subject is None]
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    # No auto-refresh: rich would redraw from a thread of its own ten times a second, and that thread's
    # hold on the GIL, taken while session.run returns, made YOLOX-Nano time 7.7 ms instead of 5.0 ms.
    # The bar is redrawn when something changes instead; nothing else runs while latencies are timed.
    with sigterm_as_interrupt(), Progress(*columns, console=console, transient=False, auto_refresh=False) as progress:
        recorder = Recorder(results_dir, previous, outcome, progress.console)
        task = progress.add_task("refresh", total=len(jobs))
        terminal = progress.console.is_terminal
        lines = JobLines(len(one_by_one))
        for job in one_by_one:
            progress.update(task, description=f"measuring {job.label}", refresh=True)
            try:
                result: Result | BaseException = measure_fn(job, registry, options)
            except Exception as exc:  # noqa: BLE001 - isolate any failure of one job from the others
                result = exc
            recorder.write(job, result, "" if terminal else " " + escape(lines.finished()))
            progress.advance(task)
            progress.refresh()
        if latency_jobs:
            def log(message: str) -> None:  # one line each in a log, however narrow its default width
                progress.console.print(escape(message), soft_wrap=not terminal)

            progress.update(task, description=f"timing {len(latency_jobs)} latencies together in interleaved rounds",
                            refresh=True)

            def describe(text: str) -> None:
                progress.update(task, description=text, refresh=True)

            options = dataclasses.replace(options, progress=RoundsLines(log, terminal, describe))
            groups = rounds_groups(latency_jobs, MAX_SUBJECTS_PER_ROUNDS)
            for number, group in enumerate(groups, 1):  # each set's results are on disk before the next starts
                if len(groups) > 1:
                    log(f"set of rounds {number} of {len(groups)}: {len(group)} timings of "
                        f"{', '.join(dict.fromkeys(j.family.id for j in group))}")
                timed = latency_fn(group, registry, options, log)
                timed = confirm_regressions(group, timed, recorder, registry, options, log, latency_fn)
                for job in group:
                    recorder.write(job, timed.get(outcome_key(job), RuntimeError("not timed")))
                    progress.advance(task)
                progress.refresh()
    return outcome
