"""The adaptive schedule with fake timers, and slot-level slow-phase detection on simulated reference traces.

A fake `time_slot` returns, for each subject and round, samples whose sum is the slot's timed
length: the schedule's accounts (rounds.Ledger) run on those, so nothing here depends on how fast
the test machine is.
"""

from __future__ import annotations

import pytest

from benchgen.measure.timing import rounds
from benchgen.measure.timing.contention import ContentionRule
from benchgen.measure.timing.rounds import Subject, run_rounds
from tests.load_monitors import QuietMonitor, ScriptedReference

RULE = ContentionRule(poll_s=0.001, max_wait_s=0.05)
NORMAL, SLOW = (6.0, 11.0), (10.5, 11.0)  # 1.83x speed-up; the second thread's speed-up gone


def fake_slots(monkeypatch, medians_of):
    """`medians_of(subject_id, slot_number)` -> the ms every run of that slot takes; a slot has as many
    runs as fit its timed length."""
    counts: dict[str, int] = {}

    def time_slot(subject, slot_s, min_runs, monitor):
        counts[subject.id] = counts.get(subject.id, 0) + 1
        ms = medians_of(subject.id, counts[subject.id])
        runs = max(min_runs, int(round(slot_s * 1e3 / ms)))
        before = monitor.snapshot()
        return [ms] * runs, rounds.window(before, monitor.snapshot(), monitor.cpus)

    monkeypatch.setattr(rounds, "time_slot", time_slot)
    return counts


def steady(subject_id, slot):
    return 10.0


def wobbly(subject_id, slot):
    """Rounds 10 % apart: each round tight, together never within ±1 %."""
    return 10.0 if slot % 2 else 11.0


def _run(ids, budget_s=1.0, **kwargs):
    return run_rounds([Subject(i, lambda: None) for i in ids], budget_s=budget_s, monitor=QuietMonitor(),
                      probe=None, rounds=5, rel_ci=0.01, rule=RULE, log=lambda m: None, **kwargs)


def test_known_medians_leave_after_three_rounds_and_their_time_goes_to_the_others(monkeypatch):
    fake_slots(monkeypatch, lambda i, slot: steady(i, slot) if i.startswith("s") else wobbly(i, slot))
    outcome = _run(["s1", "s2", "s3", "w"])
    for steady_id in ("s1", "s2", "s3"):
        timing = outcome.timings[steady_id]
        assert (len(timing.slots), timing.stop_reason) == (3, "ci")
    wobbly_timing = outcome.timings["w"]
    # 3 x 2 saved rounds of 0.2 s bought it extra rounds, up to twice the planned ones
    assert len(wobbly_timing.slots) == 10 and wobbly_timing.stop_reason == "max-rounds"
    assert outcome.session_spent_s <= outcome.session_budget_s + 1e-9 == 4.0 + 1e-9


def test_without_saved_time_nobody_gets_extra_rounds(monkeypatch):
    fake_slots(monkeypatch, wobbly)
    outcome = _run(["a", "b"])
    assert all(len(t.slots) == 5 and t.stop_reason == "budget" for t in outcome.timings.values())
    assert outcome.session_spent_s == pytest.approx(2.0, rel=0.01)


def test_saved_time_is_shared_while_it_lasts(monkeypatch):
    """One steady subject saves 2 slots (0.4 s); two wobbly ones need 0.4 s per extra round: one round each."""
    fake_slots(monkeypatch, lambda i, slot: steady(i, slot) if i == "s" else wobbly(i, slot))
    outcome = _run(["s", "w1", "w2"])
    assert [len(outcome.timings[i].slots) for i in ("s", "w1", "w2")] == [3, 6, 6]
    assert outcome.timings["w1"].stop_reason == outcome.timings["w2"].stop_reason == "budget"
    assert outcome.session_spent_s <= outcome.session_budget_s + 1e-9


def test_a_subject_never_runs_past_its_own_time_cap(monkeypatch):
    monkeypatch.setattr(rounds, "MAX_ROUNDS_FACTOR", 100)  # only the time cap can stop it
    fake_slots(monkeypatch, lambda i, slot: steady(i, slot) if i.startswith("s") else wobbly(i, slot))
    outcome = _run(["s1", "s2", "s3", "s4", "s5", "s6", "w"])
    timing = outcome.timings["w"]
    assert timing.stop_reason == "time-cap"
    assert sum(timing.samples) / 1e3 <= rounds.SUBJECT_CAP_FACTOR * 1.0 + 1e-9


# -- slow phases of the host, found per slot --------------------------------------------------------------

def test_only_the_slot_in_a_slow_phase_is_timed_again(monkeypatch):
    fake_slots(monkeypatch, steady)
    # three opening readings; after a's slot: slow; the retry's own opening and closing readings: normal
    reference = ScriptedReference([NORMAL] * 3 + [SLOW] + [NORMAL] * 50)
    logs = []
    outcome = run_rounds([Subject(i, lambda: None) for i in ("a", "b")], budget_s=1.0, monitor=QuietMonitor(),
                         probe=None, rounds=1, rel_ci=0.01, rule=RULE, log=logs.append, reference=reference)
    a, b = outcome.timings["a"].slots[0], outcome.timings["b"].slots[0]
    assert (a.attempts, a.verdict.busy) == (2, False) and (b.attempts, b.verdict.busy) == (1, False)
    assert any("slow phase after the slot" in line and "1.05x" in line for line in logs)
    assert len(outcome.reference) == 3 + 1 + 2 + 1  # seed, a's slow end, a retry's two ends, b's end
    assert a.reference[0]["speedup"] == pytest.approx(11 / 6, rel=1e-3)


def test_a_slot_that_stays_slow_is_kept_as_evidence_and_never_published(monkeypatch):
    from benchgen.measure.timing.latency_cpu import status_of

    fake_slots(monkeypatch, steady)
    reference = ScriptedReference([NORMAL] * 3 + [SLOW] * 20)
    outcome = run_rounds([Subject("a", lambda: None)], budget_s=1.0, monitor=QuietMonitor(), probe=None,
                         rounds=1, rel_ci=0.01, rule=RULE, log=lambda m: None, reference=reference)
    slot = outcome.timings["a"].slots[0]
    assert slot.attempts == RULE.max_retries + 1 and slot.verdict.busy
    status, reasons = status_of(outcome.timings["a"], outcome)
    assert status == "unstable" and "host's slow phase" in reasons[0]


def test_a_machine_that_slows_down_as_a_whole_is_caught_too():
    """The 38 % probe move of one quiet VM: speed-up intact, both times slower."""
    from benchgen.measure.timing.calibration import ReferenceReading, normal_reading
    from benchgen.measure.timing.contention import judge_reference

    normal = normal_reading([ReferenceReading(*NORMAL)] * 5)
    slower = ReferenceReading(6.0 * 1.38, 11.0 * 1.38)
    verdict = judge_reference([ReferenceReading(*NORMAL), slower], normal, RULE)
    assert verdict.busy and "against the session's 6 ms" in verdict.reasons[0]
    noisy = ReferenceReading(6.5, 11.2)  # a few percent: a 3-run reading's noise
    assert not judge_reference([noisy, noisy], normal, RULE).busy


def test_the_session_normal_is_not_pulled_into_a_slow_phase():
    from benchgen.measure.timing.calibration import ReferenceReading, normal_reading

    trace = [ReferenceReading(*NORMAL)] * 7 + [ReferenceReading(*SLOW)] * 3  # 30 % of the readings slow
    normal = normal_reading(trace)
    assert normal.multi_ms == 6.0 and normal.speedup == pytest.approx(11 / 6)


def test_when_time_runs_short_the_variant_furthest_from_its_target_keeps_it(monkeypatch):
    """One steady subject saves 0.4 s: one extra round for one of two wobbly ones, the noisier."""
    counts: dict[str, int] = {}

    def time_slot(subject, slot_s, min_runs, monitor):
        counts[subject.id] = counts.get(subject.id, 0) + 1
        n = counts[subject.id]
        if subject.id == "s":
            samples = [10.0] * 20
        elif subject.id == "w-narrow":
            samples = [10.0 if n % 2 else 11.0] * 20
        else:  # every run different: a wide interval
            samples = [5.0, 15.0] * 10  # 0.2 s, like the others
        before = monitor.snapshot()
        return samples, rounds.window(before, monitor.snapshot(), monitor.cpus)

    monkeypatch.setattr(rounds, "time_slot", time_slot)
    outcome = run_rounds([Subject(i, lambda: None) for i in ("s", "w-wide", "w-narrow")], budget_s=1.0,
                         monitor=QuietMonitor(), probe=None, rounds=5, rel_ci=0.01, rule=RULE, log=lambda m: None)
    slots = {i: len(t.slots) for i, t in outcome.timings.items()}
    assert slots["s"] == 3 and slots["w-wide"] > slots["w-narrow"] == 5
