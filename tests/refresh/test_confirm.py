"""Refresh with recorded timings: every stale CPU latency goes into one set of rounds, and a
regression is published only when the re-timing confirms it."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
from rich.console import Console

from benchgen.refresh.plan import plan
from benchgen.refresh.run import Options, execute
from benchgen.registry import load_registry
from tests.conftest import make_result, make_timing
from tests.refresh.conftest import byo_registry

MACHINES = {"ort-cpu": "cpu-test-2c"}


def timed(variant: str, scale: float, seed: int, day: int = 2):
    samples = (100.0 * scale * (1 + 0.03 * np.abs(np.random.default_rng(seed).standard_normal(200)))).tolist()
    result = make_result(variant, "latency-cpu", {"latency_cpu_ms": float(np.median(samples))},
                         when=dt.datetime(2026, 1, day, tzinfo=dt.timezone.utc))
    result.timing = make_timing(float(np.median(samples)), samples=samples, probe_ms=5.0)
    return result


def _setup(tmp_path, tiny_project, variants=3):
    _, onnx_path = tiny_project
    registry = load_registry(byo_registry(tmp_path / "reg", onnx_path, variants=variants))
    previous = [timed(f"tiny-{i}", 1.0, seed=i, day=1) for i in range(variants)]
    jobs = [j for j in plan(registry, previous, MACHINES, backends=["ort-cpu"], force=True) if j.kind == "latency-cpu"]
    return registry, previous, jobs


def test_every_stale_latency_is_timed_in_one_session(tiny_project, tmp_path):
    registry, previous, jobs = _setup(tmp_path, tiny_project)
    sessions = []

    def latency_fn(batch, registry, options, log):
        sessions.append([j.variant.id for j in batch])
        return {j.variant.id: timed(j.variant.id, 1.0, seed=10 + k) for k, j in enumerate(batch)}

    outcome = execute(jobs, registry, tmp_path / "results", previous, Options(), Console(file=None, quiet=True),
                      latency_fn=latency_fn)
    assert sessions == [["tiny-0", "tiny-1", "tiny-2"]]  # one session, no re-timing
    assert not outcome.regressions and len(outcome.written) == 3


def test_a_regression_the_retiming_does_not_confirm_is_not_published(tiny_project, tmp_path):
    registry, previous, jobs = _setup(tmp_path, tiny_project)
    sessions = []

    def latency_fn(batch, registry, options, log):
        sessions.append([j.variant.id for j in batch])
        first = len(sessions) == 1
        # tiny-1 looks 40 % slower on the first timing only (a burst of load the monitor missed)
        return {j.variant.id: timed(j.variant.id, 1.4 if first and j.variant.id == "tiny-1" else 1.0, seed=20 + k)
                for k, j in enumerate(batch)}

    outcome = execute(jobs, registry, tmp_path / "results", previous, Options(), Console(file=None, quiet=True),
                      latency_fn=latency_fn)
    assert sessions == [["tiny-0", "tiny-1", "tiny-2"], ["tiny-1"]]
    assert not outcome.regressions and [v for v, _ in outcome.unconfirmed] == ["tiny-1"]
    from benchgen.results.store import load_results
    written = {r.variant: r for r in load_results(tmp_path / "results")}
    assert written["tiny-1"].details["confirmation"]["confirmed"] is False
    assert written["tiny-1"].metrics["latency_cpu_ms"] < 110  # the published figure is the re-timing


def test_a_real_slowdown_is_confirmed_and_published(tiny_project, tmp_path):
    registry, previous, jobs = _setup(tmp_path, tiny_project)

    def latency_fn(batch, registry, options, log):
        return {j.variant.id: timed(j.variant.id, 1.3 if j.variant.id == "tiny-2" else 1.0, seed=30 + k)
                for k, j in enumerate(batch)}

    outcome = execute(jobs, registry, tmp_path / "results", previous, Options(), Console(file=None, quiet=True),
                      latency_fn=latency_fn)
    assert [v for v, _ in outcome.regressions] == ["tiny-2"] and not outcome.unconfirmed


def test_a_slowdown_of_the_whole_machine_is_not_a_regression(tiny_project, tmp_path):
    registry, previous, jobs = _setup(tmp_path, tiny_project)

    def latency_fn(batch, registry, options, log):
        out = {}
        for k, j in enumerate(batch):
            result = timed(j.variant.id, 1.3, seed=40 + k)
            result.timing.calibration.median_ms = 6.5  # the probe slowed by the same 30 %
            out[j.variant.id] = result
        return out

    outcome = execute(jobs, registry, tmp_path / "results", previous, Options(), Console(file=None, quiet=True),
                      latency_fn=latency_fn)
    assert not outcome.regressions and not outcome.unconfirmed


def test_an_unstable_result_is_listed_and_never_compared(tiny_project, tmp_path):
    registry, previous, jobs = _setup(tmp_path, tiny_project, variants=1)

    def latency_fn(batch, registry, options, log):
        result = timed("tiny-0", 2.0, seed=50)
        result.status = "unstable"
        result.details["contention"] = {"reasons": ["round 1: other processes used 1.9 of 2 cores"]}
        return {"tiny-0": result}

    outcome = execute(jobs, registry, tmp_path / "results", previous, Options(), Console(file=None, quiet=True),
                      latency_fn=latency_fn)
    assert [r.variant for r in outcome.unstable] == ["tiny-0"] and not outcome.regressions


def test_nothing_else_runs_in_the_process_while_latencies_are_timed(tiny_project, tmp_path):
    """A progress bar refreshing from its own thread holds the GIL that session.run's return needs."""
    from benchgen.measure.timing.rounds import other_python_threads

    registry, previous, jobs = _setup(tmp_path, tiny_project, variants=1)
    seen = []

    def latency_fn(batch, registry, options, log):
        seen.append(other_python_threads())
        return {"tiny-0": timed("tiny-0", 1.0, seed=60)}

    execute(jobs, registry, tmp_path / "results", previous, Options(), Console(file=None, quiet=True),
            latency_fn=latency_fn)
    assert seen == [[]]


def test_the_previous_result_is_read_from_its_file_when_it_is_compared(tiny_project, tmp_path, monkeypatch):
    """refresh passes result headers: the last good result of a cell is read in full only to be compared."""
    from benchgen.results import index
    from benchgen.results.index import load_headers
    from benchgen.results.store import write_result

    monkeypatch.setattr(index, "MIN_INDEXED_FILES", 0)  # headers from the index, whose load() reads the file
    registry, previous, jobs = _setup(tmp_path, tiny_project)
    for result in previous:
        write_result(result, tmp_path / "results")
    headers = load_headers(tmp_path / "results")
    read, real = [], index.read_result
    monkeypatch.setattr(index, "read_result", lambda path: read.append(path) or real(path))

    def latency_fn(batch, registry, options, log):
        return {j.variant.id: timed(j.variant.id, 1.3 if j.variant.id == "tiny-2" else 1.0, seed=30 + k)
                for k, j in enumerate(batch)}

    outcome = execute(jobs, registry, tmp_path / "results", headers, Options(), Console(file=None, quiet=True),
                      latency_fn=latency_fn)
    assert [v for v, _ in outcome.regressions] == ["tiny-2"] and not outcome.unconfirmed
    assert sorted(read) == sorted(h.path for h in headers)  # each once, though tiny-2's is compared twice


def test_sets_of_rounds_keep_a_family_whole_and_stay_under_the_limit(tiny_project, tmp_path):
    from benchgen.refresh.run import rounds_groups

    registry, _, jobs = _setup(tmp_path, tiny_project)
    other = [dataclasses.replace(j, family=j.family.model_copy(update={"id": "other"})) for j in jobs]
    groups = rounds_groups(jobs + other, limit=4)
    assert [[j.family.id for j in g] for g in groups] == [["tiny"] * 3, ["other"] * 3]  # 6 > 4: two sets
    assert [len(g) for g in rounds_groups(jobs + other, limit=6)] == [6]
    assert [len(g) for g in rounds_groups(jobs, limit=2)] == [3]  # a family larger than the limit is not split


def test_each_set_of_rounds_is_on_disk_before_the_next_starts(tiny_project, tmp_path, monkeypatch):
    import benchgen.refresh.run as run

    registry, previous, jobs = _setup(tmp_path, tiny_project)
    other = [dataclasses.replace(j, family=j.family.model_copy(update={"id": "other"})) for j in jobs[:1]]
    monkeypatch.setattr(run, "MAX_SUBJECTS_PER_ROUNDS", 3)
    results = tmp_path / "results"
    seen = []

    def latency_fn(batch, registry, options, log):
        seen.append(([j.family.id for j in batch], len(list(results.rglob("*.json")))))
        if len(seen) == 2:
            raise KeyboardInterrupt  # killed during the second set
        return {j.variant.id: timed(j.variant.id, 1.0, seed=30 + k) for k, j in enumerate(batch)}

    import pytest

    with pytest.raises(KeyboardInterrupt):
        execute(jobs + other, registry, results, previous, Options(), Console(file=None, quiet=True),
                latency_fn=latency_fn)
    assert seen == [(["tiny"] * 3, 0), (["other"], 3)]  # the first set's three results were written first
