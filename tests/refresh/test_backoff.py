"""A refresh converges on a busy machine: unstable timings are held back without a reason to
expect better, and the end of the refresh says what is still unstable, why, and the command."""

from __future__ import annotations

import time

from benchgen.measure.timing import contention, machine_load
from benchgen.measure.timing.contention import Verdict, evidence_kind
from benchgen.refresh.backoff import MAX_AUTO_ATTEMPTS, apply_backoff, still_unstable_line
from benchgen.refresh.plan import Job
from benchgen.results.store import load_results
from tests.conftest import MACHINE, family_doc, make_result, variant_doc
from tests.load_monitors import QuietMonitor, ScriptedMonitor
from tests.refresh.conftest import byo_registry
from tests.refresh.test_run import _refresh


def _job(kind: str = "latency-cpu", attempts: int = 1) -> Job:
    from benchgen.registry.schema import Family
    family = Family.model_validate(family_doc("f", "F", [variant_doc("f-s", "s", 30.0, 1.0, 1.0)]))
    return Job(family, family.variants[0], kind, "ort-cpu", "key", MACHINE.id, unstable_attempts=attempts)


def _never(*_):
    raise AssertionError("the machine was looked at without need")


def test_an_unstable_job_is_timed_again_only_with_a_reason():
    busy, quiet = Verdict(True, ("other processes used 1.00 of 2 cores (limit 10%)",)), Verdict(False)
    job = _job()
    assert apply_backoff([job], retry=False, quiet_now=lambda: busy) == {
        "the machine is busy now (other processes used 1.00 of 2 cores (limit 10%))": [job]}
    assert not job.stale and job.reason.startswith("unstable 1 time with these inputs; the machine is busy now")
    job = _job()
    assert apply_backoff([job], retry=False, quiet_now=lambda: quiet) == {} and job.stale
    assert "quiet now, so timed again" in job.reason
    job = _job(attempts=MAX_AUTO_ATTEMPTS)
    assert list(apply_backoff([job], retry=False, quiet_now=_never).values()) == [[job]]
    assert not job.stale and job.reason.endswith("held back until --retry-unstable")
    job = _job(attempts=5)
    assert apply_backoff([job], retry=True, quiet_now=_never) == {} and job.stale


def test_the_machine_is_looked_at_once_and_only_when_it_decides_something():
    looks = []
    jobs = [_job(), _job(), _job(attempts=0), _job(kind="latency-torch-cuda")]
    apply_backoff(jobs, retry=False, quiet_now=lambda: looks.append(1) or Verdict(False))
    assert looks == [1] and all(j.stale for j in jobs)
    apply_backoff([_job(attempts=0), _job(kind="latency-torch-cuda")], retry=False, quiet_now=_never)


def test_the_end_line_names_what_is_unstable_the_dominant_evidence_and_the_command():
    def unstable(variant, *reasons):
        r = make_result(variant, "latency-cpu", {"latency_cpu_ms": 5.0})
        return r.model_copy(update={"status": "unstable", "details": {"contention": {"reasons": list(reasons)}}})
    line = still_unstable_line([
        unstable("a", "round 1: other processes used 1.00 of 2 cores (limit 10%)",
                 "round 2: other processes used 0.90 of 2 cores (limit 10%)"),
        unstable("b", "its round medians spread by 65% (4.24 to 6.992 ms; limit 25%)")])
    assert line == ("still unstable: a latency-cpu, b latency-cpu; evidence: other processes' CPU (2 times), "
                    "round spread (1 time); once the machine is quiet, re-time only those with: "
                    "benchgen refresh --retry-unstable --only a --only b")
    assert still_unstable_line([]) is None


def test_every_reason_the_contention_rule_writes_has_its_evidence_kind():
    from benchgen.measure.timing.machine_load import LoadWindow
    rule = contention.ContentionRule()  # the real thresholds (the suite's conftest loosens RULE)
    load = LoadWindow(wall_s=1.0, others_cores=1.5, steal_share=0.5, own_cores=0.0, load_1min=1.0, cpus=2)
    reasons = (contention.judge_window(load, rule).reasons + contention.judge_probe(5.0, 8.0, rule).reasons
               + contention.judge_rounds([4.0, 7.0], rule).reasons)
    assert [evidence_kind(r) for r in reasons] == ["other processes' CPU", "steal time", "probe drift",
                                                    "round spread"]


def test_a_busy_machines_refresh_converges_and_says_how_to_finish(tiny_project, tmp_path, capsys, monkeypatch):
    _, onnx_path = tiny_project
    registry = byo_registry(tmp_path / "reg", onnx_path, variants=2)
    results, docs = tmp_path / "results", tmp_path / "docs"
    always_unstable = contention.ContentionRule(poll_s=0.01, max_wait_s=0.1, max_round_spread=-1.0)
    monkeypatch.setattr(contention, "RULE", always_unstable)

    def refresh(*extra):
        capsys.readouterr()
        started = time.monotonic()
        assert _refresh(registry, results, docs, *extra) == 0
        return capsys.readouterr().err, time.monotonic() - started

    err, _ = refresh()
    command = "benchgen refresh --retry-unstable --only tiny-0 --only tiny-1"
    assert "still unstable: tiny-0 latency-cpu, tiny-1 latency-cpu; evidence: round spread (2 times)" in err
    assert command in " ".join(err.split())

    # busy now: nothing is timed again, the refresh is quick and says the same
    monkeypatch.setattr(machine_load, "default_monitor", lambda: ScriptedMonitor([2.0]))
    err, took = refresh()
    assert "0 of 4 measurements are stale" in err and took < 5
    assert "not timed again (the machine is busy now" in " ".join(err.split()) and command in " ".join(err.split())

    # quiet at the start: timed again once, then held back until asked
    monkeypatch.setattr(machine_load, "default_monitor", QuietMonitor)
    err, _ = refresh()
    assert "2 of 4 measurements are stale" in err
    err, _ = refresh()
    assert "0 of 4 measurements are stale" in err and "held back until --retry-unstable" in " ".join(err.split())

    # asked, on a machine whose timings now hold: published, and nothing is left to say
    monkeypatch.setattr(contention, "RULE", contention.ContentionRule(poll_s=0.01, max_wait_s=0.1,
                                                                      max_round_spread=float("inf")))
    err, _ = refresh("--retry-unstable")
    assert "2 of 4 measurements are stale" in err and "still unstable" not in err
    latest = {}
    for r in load_results(results):
        latest[(r.variant, r.kind)] = r.status
    assert set(latest.values()) == {"ok"}
    err, took = refresh()
    assert "0 of 4 measurements are stale" in err and "still unstable" not in err and took < 5
