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

from benchgen.measure.timing.calibration import CalibrationProbe, ReferenceReading, SpeedupReference, normal_reading
from benchgen.measure.timing import contention
from benchgen.measure.timing.contention import ContentionRule, Verdict, judge_probe, judge_reference, judge_window
from benchgen.measure.timing.stats import median_is_tight, summarize
from benchgen.measure.timing.progress import RoundsProgress
from benchgen.measure.timing.machine_load import LoadMonitor, LoadWindow, sample_window, window

DEFAULT_ROUNDS = 5
#: a model leaves the rotation early once this many rounds are done and its median is known to ±rel_ci
MIN_ROUNDS = 3
MIN_RUNS_PER_SLOT = 2
#: readings of the speed-up reference before the first slot, the session's first notion of normal
REFERENCE_SEED_READINGS = 3
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
    #: the speed-up reference read at the slot's ends (calibration.ReferenceReading.as_dict)
    reference: list[dict[str, float]] = field(default_factory=list)

    def evidence(self) -> dict[str, Any]:
        return {"round": self.round, "runs": len(self.samples), "median_ms": round(float(np.median(self.samples)), 6),
                "attempts": self.attempts, "busy": self.verdict.busy, "why": self.verdict.text(),
                **({"reference": self.reference} if self.reference else {}),
                **{k: v for k, v in self.load.as_dict().items() if k != "cpus"}}


@dataclass
class SubjectTiming:
    id: str
    slots: list[Slot] = field(default_factory=list)
    #: ci: median known to the target; time-cap: its own cap of saved time reached; budget: the session's
    #: budget spent; max-rounds: twice the planned rounds; failed
    stop_reason: str = "max-rounds"
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
    #: the adaptive schedule's accounts (Ledger): the sum of the budgets, and what was timed of it
    session_budget_s: float = 0.0
    session_spent_s: float = 0.0
    #: every reading of the speed-up reference, in order (the session's probe trace)
    reference: list[dict[str, float]] = field(default_factory=list)

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


def rel_halfwidth(samples: list[float]) -> float:
    return summarize(samples).rel_halfwidth if samples else float("inf")


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


#: a subject's timing may run to this many times its budget when others left early (saved time)
SUBJECT_CAP_FACTOR = 2.0
#: and to this many times the planned rounds
MAX_ROUNDS_FACTOR = 2


@dataclass
class Ledger:
    """The adaptive schedule's accounts: what each subject and the session have spent of their timed
    budgets. A subject whose median is known to the target leaves after MIN_ROUNDS and its unspent
    budget goes back to the session; the session then gives extra rounds, beyond the planned ones, to
    those whose median is not known yet, while what the session has spent stays within the sum of the
    budgets (so a refresh never takes longer than the fixed schedule did) and each subject within
    SUBJECT_CAP_FACTOR times its own."""

    budgets: dict[str, float]
    planned_rounds: int
    spent: dict[str, float] = field(default_factory=dict)

    @property
    def session_budget_s(self) -> float:
        return sum(self.budgets.values())

    @property
    def session_spent_s(self) -> float:
        return sum(self.spent.values())

    def slot_s(self, subject_id: str) -> float:
        return self.budgets[subject_id] / self.planned_rounds

    def record(self, subject_id: str, samples: list[float]) -> None:
        self.spent[subject_id] = self.spent.get(subject_id, 0.0) + sum(samples) / 1e3

    def stop_reason(self, subject_id: str, rounds_done: int, others: list[str]) -> str | None:
        """Why a subject whose median is not known yet leaves now, or None to time it again."""
        if rounds_done >= self.planned_rounds * MAX_ROUNDS_FACTOR:
            return "max-rounds"
        if rounds_done < self.planned_rounds:
            return None
        if self.spent.get(subject_id, 0.0) + self.slot_s(subject_id) > SUBJECT_CAP_FACTOR * self.budgets[subject_id]:
            return "time-cap"
        # one more round for every subject still timing must fit in what the session has left
        next_round = sum(self.slot_s(other) for other in others)
        if self.session_spent_s + next_round > self.session_budget_s + 1e-9:
            return "budget"
        return None


def run_rounds(subjects: list[Subject], budget_s: float, monitor: LoadMonitor, probe: CalibrationProbe | None,
               rounds: int = DEFAULT_ROUNDS, rel_ci: float = 0.01, allow_busy: bool = False,
               rule: ContentionRule | None = None, log: Callable[[str], None] = _log_stderr,
               min_runs_per_slot: int = MIN_RUNS_PER_SLOT,
               progress: Callable[[RoundsProgress], None] | None = None,
               reference: SpeedupReference | None = None) -> RoundsOutcome:
    """`budget_s` is each subject's timed budget (unless it has its own), split evenly over the
    `rounds` planned; a subject leaves once its median is known to ±`rel_ci` (`converged`), and the
    time it saved buys extra rounds for the others (`Ledger`). `reference` is read at the ends of
    every slot, and a slot in a slow phase of the host is timed again (contention.judge_reference).
    `progress` is told after every slot (it must be quick: it runs between two timed windows)."""
    rule = rule or contention.RULE
    threads_beside = other_python_threads()
    if threads_beside:
        log(f"other Python threads are running beside the timing ({', '.join(threads_beside)}); they compete "
            "for the GIL and can slow short runs")
    timings = {s.id: SubjectTiming(s.id) for s in subjects}
    ledger = Ledger({s.id: s.budget_s if s.budget_s is not None else budget_s for s in subjects}, rounds)
    waiter = Waiter(monitor, rule, log)
    if not allow_busy:
        waiter.until_quiet("timing")
    probes = [probe.time().median_ms] if probe else []
    readings: list[ReferenceReading] = []
    if reference is not None:  # three readings first, so the session's normal one rests on more than one
        readings += [reference.read() for _ in range(REFERENCE_SEED_READINGS)]
    active = list(subjects)
    started, slots_done = time.monotonic(), 0

    def report(number: int, round_done: bool, left_this_round: int) -> None:
        if progress is not None:
            planned = max(rounds, number)
            left = left_this_round + len(active) * (planned - number)
            progress(RoundsProgress(number, planned, slots_done, left, len(active),
                                    time.monotonic() - started, round_done))

    index = 0
    while active:
        shift = index % len(active)
        order = active[shift:] + active[:shift]
        for position, subject in enumerate(order):
            timing = timings[subject.id]
            attempts = 0
            while True:
                attempts += 1
                try:
                    samples, load = time_slot(subject, ledger.slot_s(subject.id), min_runs_per_slot, monitor)
                except Exception as exc:  # noqa: BLE001 - one model's failure must not stop the others
                    timing.error, timing.stop_reason = exc, "failed"
                    break
                ledger.record(subject.id, samples)
                ends: list[ReferenceReading | None] = []
                if reference is not None:
                    ends = [readings[-1], reference.read()]
                    readings.append(ends[-1])
                load_verdict = judge_window(load, rule)
                phase = judge_reference(ends, normal_reading(readings), rule)
                verdict = Verdict(load_verdict.busy or phase.busy, load_verdict.reasons + phase.reasons)
                retry = verdict.busy and not allow_busy and attempts <= rule.max_retries and not (
                    load_verdict.busy and waiter.exhausted)
                if not retry:
                    timing.slots.append(Slot(index + 1, samples, load, verdict, attempts,
                                             [e.as_dict() for e in ends if e is not None]))
                    break
                log(f"{subject.id}, round {index + 1}: {verdict.text()}; timing it again")
                if load_verdict.busy:
                    waiter.until_quiet(f"re-timing {subject.id}")
                if reference is not None:  # the retry's own opening reading, not the slow one that ended it
                    readings.append(reference.read())
            slots_done += 1
            report(index + 1, False, len(order) - position - 1)
        if probe:
            probes.append(probe.time().median_ms)
        index += 1
        for subject in list(active):
            timing = timings[subject.id]
            if timing.error is not None:
                active.remove(subject)
            elif converged(timing, rel_ci):
                timing.stop_reason = "ci"
                active.remove(subject)
        # the narrowest intervals are asked first, so when the session's time runs short, what is left
        # of it goes to the variants furthest from their target
        for subject in sorted(active, key=lambda s: rel_halfwidth(timings[s.id].samples)):
            why = ledger.stop_reason(subject.id, len(timings[subject.id].slots), [s.id for s in active])
            if why is not None:
                timings[subject.id].stop_reason = why
                active.remove(subject)
        report(index, True, 0)
    return RoundsOutcome(timings=timings, probe_ms=probes, waited_s=waiter.waited_s, rounds=rounds,
                         allow_busy=allow_busy, rule=rule, python_threads=threads_beside,
                         session_budget_s=ledger.session_budget_s, session_spent_s=ledger.session_spent_s,
                         reference=[r.as_dict() for r in readings])
