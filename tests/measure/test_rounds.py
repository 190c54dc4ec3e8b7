"""Interleaved rounds on fake subjects: order, retries, early stop and failure isolation."""

from __future__ import annotations

from benchgen.measure.timing.contention import ContentionRule
from benchgen.measure.timing import rounds
from benchgen.measure.timing.rounds import Subject, run_rounds
from tests.load_monitors import FixedProbe, QuietMonitor, ScriptedMonitor

RULE = ContentionRule(poll_s=0.001, max_wait_s=0.05)


def _subjects(order: list[str], ids=("a", "b", "c")):
    def call(name):
        return lambda: order.append(name)
    return [Subject(i, call(i)) for i in ids]


def _slots_order(order: list[str]) -> list[str]:
    """Each slot starts with one untimed call, then at least two timed ones: collapse runs."""
    out = []
    for name in order:
        if not out or out[-1] != name:
            out.append(name)
    return out


def test_every_round_rotates_the_order():
    order: list[str] = []
    outcome = run_rounds(_subjects(order), budget_s=0.0, monitor=QuietMonitor(), probe=FixedProbe(), rounds=3,
                         rel_ci=0.0, rule=RULE, log=lambda m: None)
    assert _slots_order(order) == ["a", "b", "c", "b", "c", "a", "c", "a", "b"]
    assert all(len(t.slots) == 3 for t in outcome.timings.values())
    assert outcome.probe_ms == [5.0, 5.0, 5.0, 5.0]  # before round 1, then after each round


def test_a_busy_window_is_retried_and_a_persistent_one_kept_as_evidence():
    logs: list[str] = []
    order: list[str] = []
    # window 0: the opening look (quiet); then a's first slot busy, the wait's look quiet, a's retry quiet...
    monitor = ScriptedMonitor([0.0, 1.5, 0.0, 0.0])
    outcome = run_rounds(_subjects(order, ids=("a",)), budget_s=0.0, monitor=monitor, probe=None, rounds=1,
                         rule=RULE, log=logs.append)
    slot = outcome.timings["a"].slots[0]
    assert slot.attempts == 2 and not slot.verdict.busy
    assert any("timing it again" in line for line in logs)

    always_busy = run_rounds(_subjects([], ids=("a",)), budget_s=0.0, monitor=ScriptedMonitor([1.5]), probe=None,
                             rounds=2, rule=RULE, log=logs.append)
    timing = always_busy.timings["a"]
    assert len(timing.busy_slots) == 2 and always_busy.waited_s >= RULE.max_wait_s
    assert any("still busy" in line for line in logs)


def test_allow_busy_neither_waits_nor_retries():
    outcome = run_rounds(_subjects([], ids=("a",)), budget_s=0.0, monitor=ScriptedMonitor([1.5]), probe=None,
                         rounds=2, rule=RULE, allow_busy=True, log=lambda m: None)
    assert outcome.waited_s == 0 and all(s.attempts == 1 and s.verdict.busy for s in outcome.timings["a"].slots)


def test_a_converged_subject_leaves_the_rotation_after_three_rounds(monkeypatch):
    """Identical samples in every slot: the stopping rule alone decides. (Timing a few-µs call for
    real, its round medians spread past any threshold under CI load, which made this test flaky.)"""
    def steady_slot(subject, slot_s, min_runs, monitor):
        subject.call()
        before = monitor.snapshot()
        return [1.0] * min_runs, rounds.window(before, monitor.snapshot(), monitor.cpus)

    monkeypatch.setattr(rounds, "time_slot", steady_slot)
    outcome = run_rounds(_subjects([]), budget_s=0.0, monitor=QuietMonitor(), probe=None, rounds=5, rel_ci=0.01,
                         rule=RULE, log=lambda m: None)
    assert all(len(t.slots) == 3 and t.stop_reason == "ci" for t in outcome.timings.values())


def test_one_failing_subject_does_not_stop_the_others():
    def boom():
        raise RuntimeError("session died")

    order: list[str] = []
    subjects = _subjects(order, ids=("a", "c")) + [Subject("b", boom)]
    outcome = run_rounds(subjects, budget_s=0.0, monitor=QuietMonitor(), probe=None, rounds=2, rel_ci=0.0,
                         rule=RULE, log=lambda m: None)
    assert isinstance(outcome.timings["b"].error, RuntimeError) and outcome.timings["b"].slots == []
    assert len(outcome.timings["a"].slots) == len(outcome.timings["c"].slots) == 2


def test_the_probe_verdict_spans_the_session():
    outcome = run_rounds(_subjects([], ids=("a",)), budget_s=0.0, monitor=QuietMonitor(),
                         probe=FixedProbe([5.0, 5.2, 6.0]), rounds=2, rel_ci=0.0, rule=RULE, log=lambda m: None)
    assert outcome.probe_ms == [5.0, 5.2, 6.0] and outcome.probe_verdict.busy


def test_every_slot_starts_with_untimed_runs(monkeypatch):
    """The model timed before leaves the machine slow for a while: each slot re-warms first."""
    import benchgen.measure.timing.rounds as rounds_module

    monkeypatch.setattr(rounds_module, "REWARM_S", 0.05)
    calls = []
    subject = Subject("a", lambda: calls.append(1))
    samples, _ = rounds_module.time_slot(subject, 0.0, 2, QuietMonitor())
    assert len(samples) == 2 and len(calls) > 3  # two timed, the rest untimed


def test_rounds_that_disagree_are_not_converged():
    from benchgen.measure.timing.rounds import Slot, SubjectTiming, converged
    from tests.measure.test_contention import recorded
    from benchgen.measure.timing.contention import Verdict

    def timing(medians):
        return SubjectTiming("a", [Slot(i + 1, [m] * 50, recorded(0.0), Verdict(False), 1) for i, m in enumerate(medians)])

    assert converged(timing([10.0, 10.05, 10.1]), rel_ci=0.01)
    assert not converged(timing([10.0, 10.5, 10.1]), rel_ci=0.01)  # each round tight, together not


def test_progress_is_told_after_every_slot_and_every_round():
    seen = []
    run_rounds(_subjects([]), budget_s=0.0, monitor=QuietMonitor(), probe=None, rounds=2, rel_ci=0.0, rule=RULE,
               log=lambda m: None, progress=seen.append)
    slots = [p for p in seen if not p.round_done]
    assert [(p.round, p.slots_done, p.slots_left) for p in slots] == [(1, 1, 5), (1, 2, 4), (1, 3, 3), (2, 4, 2),
                                                                       (2, 5, 1), (2, 6, 0)]
    assert [(p.round, p.slots_left) for p in seen if p.round_done] == [(1, 3), (2, 0)]
    assert seen[-1].line().startswith("timing: round 2 of 2 done, 6 slots timed, 0 variant(s) still in the rotation")
