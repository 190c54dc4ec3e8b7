"""Time several models in interleaved rounds, watching the machine during every window.

Timing model A for a minute and then model B for a minute lets a slow drift of the machine
(another tenant arriving, the CPU clocking down) land on B alone, and the comparison then reports
the drift. Round-robin rounds (A B C, then B C A, ...) spread any drift over every model alike, as
asv does for benchmarks. Every slot starts with a second of untimed runs, because a model timed
right after another one runs slow for a while. Each window ("slot": one model in one round) is judged by the contention
rule; a contended slot is timed again once the machine is quiet, within a bounded wait, and a slot
still contended after that is kept but marks its model's result unstable. The calibration probe
runs before the first round and after every round, so a result carries the machine's speed at the
time it was measured.
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from benchgen.measure.calibration import CalibrationProbe
from benchgen.measure import contention
from benchgen.measure.contention import ContentionRule, Verdict, judge_probe, judge_window
from benchgen.measure.latency_stats import median_is_tight
from benchgen.measure.progress import RoundsProgress
from benchgen.measure.machine_load import LoadMonitor, LoadWindow, sample_window, window

DEFAULT_ROUNDS = 5
#: a model leaves the rotation early once this many rounds are done and its median is known to ±rel_ci
MIN_ROUNDS = 3
MIN_RUNS_PER_SLOT = 2
#: untimed running at the start of every slot (at least one run), so the model timed before it no
#: longer matters (see time_slot)
REWARM_S = 1.0


@dataclass
class Subject:
    id: str
    call: Callable[[], Any]  # one run of what is timed, nothing else
    budget_s: float | None = None  # its timed budget over all rounds; None: the session's


@dataclass
class Slot:
    round: int
    samples: list[float]
    load: LoadWindow
    verdict: Verdict
    attempts: int

    def evidence(self) -> dict[str, Any]:
        return {"round": self.round, "runs": len(self.samples), "median_ms": round(float(np.median(self.samples)), 6),
                "attempts": self.attempts, "busy": self.verdict.busy, "why": self.verdict.text(),
                **{k: v for k, v in self.load.as_dict().items() if k != "cpus"}}


@dataclass
class SubjectTiming:
    id: str
    slots: list[Slot] = field(default_factory=list)
    stop_reason: str = "rounds"
    error: BaseException | None = None

    @property
    def samples(self) -> list[float]:
        return [s for slot in self.slots for s in slot.samples]

    @property
    def round_medians(self) -> list[float]:
        return [round(float(np.median(slot.samples)), 6) for slot in self.slots]

    @property
    def busy_slots(self) -> list[Slot]:
        return [slot for slot in self.slots if slot.verdict.busy]


@dataclass
class RoundsOutcome:
    timings: dict[str, SubjectTiming]
    probe_ms: list[float]  # before round 1, then after every round
    waited_s: float
    rounds: int
    allow_busy: bool
    rule: ContentionRule
    #: other Python threads alive while timing: each competes for the GIL that session.run's return
    #: needs (a progress bar's refresh thread made a 5 ms model time 7.7 ms), so they are recorded
    python_threads: list[str] = field(default_factory=list)

    @property
    def probe_verdict(self) -> Verdict:
        if len(self.probe_ms) < 2:
            return Verdict(False)
        return judge_probe(self.probe_ms[0], self.probe_ms[-1], self.rule)


def _log_stderr(message: str) -> None:
    print(message, file=sys.stderr)


class Waiter:
    """Waits for the machine to go quiet, from one budget shared by the whole session."""

    def __init__(self, monitor: LoadMonitor, rule: ContentionRule, log: Callable[[str], None]) -> None:
        self.monitor, self.rule, self.log = monitor, rule, log
        self.waited_s = 0.0

    def until_quiet(self, what: str) -> bool:
        """True once a look at the machine finds it quiet; False when the wait budget is spent."""
        announced = False
        while True:
            verdict = judge_window(sample_window(self.monitor, self.rule.poll_s), self.rule)
            self.waited_s += self.rule.poll_s
            if not verdict.busy:
                if announced:
                    self.log(f"machine quiet again after {self.waited_s:.0f} s of waiting; {what}")
                return True
            if self.exhausted:
                self.log(f"machine still busy ({verdict.text()}) after {self.rule.max_wait_s:.0f} s of waiting; "
                         f"{what} anyway, and the result will be marked unstable")
                return False
            if not announced:
                self.log(f"machine busy: {verdict.text()}; waiting up to "
                         f"{self.rule.max_wait_s - self.waited_s:.0f} s for it to go quiet before {what}")
                announced = True

    @property
    def exhausted(self) -> bool:
        return self.waited_s >= self.rule.max_wait_s


def other_python_threads() -> list[str]:
    current = threading.current_thread()
    return sorted(t.name for t in threading.enumerate() if t is not current and t.is_alive())


def time_slot(subject: Subject, slot_s: float, min_runs: int, monitor: LoadMonitor) -> tuple[list[float], LoadWindow]:
    # Untimed runs first: right after another model's slot this one runs slow for a while (not only
    # its first run). On the 2-core EPYC VM, YOLOX-Nano timed right after RT-DETRv2-L took 6.9-7.4 ms
    # for a whole 0.6 s slot and 4.5-4.7 ms once it had run for 1 s first; alone it takes 4.4-4.9 ms.
    rewarm_until = time.perf_counter() + REWARM_S
    subject.call()
    while time.perf_counter() < rewarm_until:
        subject.call()
    clock = time.perf_counter_ns
    samples: list[float] = []
    before = monitor.snapshot()
    start = clock()
    deadline = start + int(slot_s * 1e9)
    while True:
        t0 = clock()
        subject.call()
        t1 = clock()
        samples.append((t1 - t0) / 1e6)
        if t1 >= deadline and len(samples) >= min_runs:
            break
    return samples, window(before, monitor.snapshot(), monitor.cpus)


def converged(timing: SubjectTiming, rel_ci: float, confidence: float = 0.95) -> bool:
    """Done early only when the rounds agree with each other, not just when the pooled interval is
    tight: samples within a round are correlated (the machine's speed drifts between rounds by more
    than within one), so a pooled interval alone claims a precision the rounds do not show."""
    samples = timing.samples
    if len(timing.slots) < MIN_ROUNDS or not samples:
        return False
    medians = timing.round_medians
    if max(medians) > (1.0 + 2.0 * rel_ci) * min(medians):
        return False
    return median_is_tight(samples, rel_ci, confidence)


def run_rounds(subjects: list[Subject], budget_s: float, monitor: LoadMonitor, probe: CalibrationProbe | None,
               rounds: int = DEFAULT_ROUNDS, rel_ci: float = 0.01, allow_busy: bool = False,
               rule: ContentionRule | None = None, log: Callable[[str], None] = _log_stderr,
               min_runs_per_slot: int = MIN_RUNS_PER_SLOT,
               progress: Callable[[RoundsProgress], None] | None = None) -> RoundsOutcome:
    """`budget_s` is each subject's timed budget (unless it has its own), split evenly over the rounds.
    `progress` is told after every slot (it must be quick: it runs between two timed windows)."""
    rule = rule or contention.RULE
    threads_beside = other_python_threads()
    if threads_beside:
        log(f"other Python threads are running beside the timing ({', '.join(threads_beside)}); they compete "
            "for the GIL and can slow short runs")
    timings = {s.id: SubjectTiming(s.id) for s in subjects}
    waiter = Waiter(monitor, rule, log)
    if not allow_busy:
        waiter.until_quiet("timing")
    probes = [probe.time().median_ms] if probe else []
    active = list(subjects)
    started, slots_done = time.monotonic(), 0

    def report(index: int, round_done: bool, left_this_round: int) -> None:
        if progress is not None:
            left = left_this_round + len(active) * (rounds - index - 1)
            progress(RoundsProgress(index + 1, rounds, slots_done, left, len(active),
                                    time.monotonic() - started, round_done))

    for index in range(rounds):
        if not active:
            break
        shift = index % len(active)
        order = active[shift:] + active[:shift]
        for position, subject in enumerate(order):
            timing = timings[subject.id]
            attempts = 0
            while True:
                attempts += 1
                try:
                    samples, load = time_slot(subject, (subject.budget_s or budget_s) / rounds, min_runs_per_slot,
                                              monitor)
                except Exception as exc:  # noqa: BLE001 - one model's failure must not stop the others
                    timing.error, timing.stop_reason = exc, "failed"
                    break
                verdict = judge_window(load, rule)
                retry = verdict.busy and not allow_busy and attempts <= rule.max_retries and not waiter.exhausted
                if not retry:
                    timing.slots.append(Slot(index + 1, samples, load, verdict, attempts))
                    break
                log(f"{subject.id}, round {index + 1}: {verdict.text()}; timing it again")
                waiter.until_quiet(f"re-timing {subject.id}")
            slots_done += 1
            report(index, False, len(order) - position - 1)
        if probe:
            probes.append(probe.time().median_ms)
        for subject in list(active):
            timing = timings[subject.id]
            if timing.error is not None:
                active.remove(subject)
            elif converged(timing, rel_ci):
                timing.stop_reason = "ci"
                active.remove(subject)
        report(index, True, 0)
    return RoundsOutcome(timings=timings, probe_ms=probes, waited_s=waiter.waited_s, rounds=rounds,
                         allow_busy=allow_busy, rule=rule, python_threads=threads_beside)
