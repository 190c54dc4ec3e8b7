"""Refresh end to end on tiny real ONNX models: failure isolation, history, kill and resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from benchgen.cli import main
from benchgen.results.store import load_results
from tests.conftest import REPO
from tests.refresh.conftest import byo_registry


def _refresh(registry, results, docs, *extra):
    return main(["refresh", "--no-builtin", "--registry", str(registry), "--results", str(results), "--docs", str(docs),
                 "--latency-budget", "0.3", *extra])


def test_refresh_measures_then_has_nothing_stale(tiny_project, tmp_path, capsys):
    _, onnx_path = tiny_project
    registry = byo_registry(tmp_path / "reg", onnx_path, variants=2)
    results_dir = tmp_path / "results"
    assert _refresh(registry, results_dir, tmp_path / "docs") == 0
    results = load_results(results_dir)
    assert {(r.variant, r.kind) for r in results} == {(f"tiny-{i}", k) for i in range(2)
                                                      for k in ("size", "latency-cpu")}
    assert all(r.status == "ok" and r.cache_key and r.provenance.machine.id == "cpu-test-refresh" for r in results)
    page = (tmp_path / "docs" / "families" / "tiny.md").read_text()
    assert "bg-mark-measured" in page

    started = time.monotonic()
    assert _refresh(registry, results_dir, tmp_path / "docs") == 0
    assert time.monotonic() - started < 5
    assert len(load_results(results_dir)) == len(results)
    assert "0 of 4 measurements are stale" in capsys.readouterr().err


def test_a_failing_variant_is_recorded_and_the_others_go_on(tiny_project, tmp_path, capsys):
    _, onnx_path = tiny_project
    registry = byo_registry(tmp_path / "reg", onnx_path, variants=3)
    # break tiny-1 after planning would see it: its ONNX file is corrupt
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not an onnx file")
    path = registry / "tiny.yaml"
    text = path.read_text().split("- id: tiny-1", 1)
    path.write_text(text[0] + "- id: tiny-1" + text[1].replace(str(onnx_path), str(bad), 1))
    results_dir = tmp_path / "results"
    assert _refresh(registry, results_dir, tmp_path / "docs") == 1
    results = load_results(results_dir)
    failed = [r for r in results if r.status == "failed"]
    assert {r.variant for r in failed} == {"tiny-1"} and all(r.error for r in failed)
    assert {r.variant for r in results if r.status == "ok"} == {"tiny-0", "tiny-2"}
    page = (tmp_path / "docs" / "families" / "tiny.md").read_text()
    assert "failed" in page and failed[0].error.split(":")[0] in page


def test_regression_is_flagged_in_the_output(tiny_project, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "300")  # rich wraps console lines at the width, hyphens included
    _, onnx_path = tiny_project
    registry = byo_registry(tmp_path / "reg", onnx_path, variants=1)
    results_dir = tmp_path / "results"
    assert _refresh(registry, results_dir, tmp_path / "docs", "--no-render") == 0
    # make the recorded latency look 10x faster than it is: the next forced run is a regression, and so is
    # its re-timing (a model of a few µs varies by 2x between timings in one process)
    for path in results_dir.rglob("*.json"):
        data = json.loads(path.read_text())
        if data["kind"] == "latency-cpu":
            data["metrics"]["latency_cpu_ms"] /= 10
            timing = data["timing"]
            for bound in ("ci_low", "ci_high", "median"):
                timing["stats"][bound] /= 10
            timing["samples"] = [s / 10 for s in timing["samples"]]
            path.write_text(json.dumps(data))
    capsys.readouterr()
    assert _refresh(registry, results_dir, tmp_path / "docs", "--force") == 0
    err = capsys.readouterr().err
    assert "timing them again to confirm" in err
    assert "regression tiny-0 latency_cpu_ms" in err and "Mann-Whitney" in err
    latest = [r for r in load_results(results_dir) if r.kind == "latency-cpu"][-1]
    assert latest.details["confirmation"]["confirmed"] is True
    assert "regression" in (tmp_path / "docs" / "families" / "tiny.md").read_text()


def test_killed_refresh_keeps_finished_results_and_resumes(tiny_project, tmp_path):
    root, onnx_path = tiny_project
    registry = byo_registry(tmp_path / "reg", onnx_path, variants=6)
    results_dir = tmp_path / "results"
    # --allow-busy: this refresh runs in its own process, beside the test suite, on the real monitor
    command = [sys.executable, "-m", "benchgen", "refresh", "--no-builtin", "--registry", str(registry), "--results",
               str(results_dir), "--no-render", "--latency-budget", "1.5", "--allow-busy"]
    proc = subprocess.Popen(command, cwd=REPO, env=os.environ.copy(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while len(list(results_dir.rglob("*.json"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
    assert proc.returncode == 130
    finished = load_results(results_dir)  # every file parses: nothing partial
    assert 3 <= len(finished) < 12
    assert not [p for p in results_dir.rglob("*") if p.is_file() and p.suffix != ".json"]

    dry = subprocess.run(command + ["--dry-run"], cwd=REPO, capture_output=True, text=True)
    assert f"{12 - len(finished)} of 12 measurements would run" in dry.stdout
    resumed = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert len(load_results(results_dir)) == 12


def test_missing_input_is_named_and_the_rest_is_measured(tiny_project, tmp_path, capsys):
    _, onnx_path = tiny_project
    registry = byo_registry(tmp_path / "reg", onnx_path, variants=2, broken="tiny-1")
    results_dir = tmp_path / "results"
    assert _refresh(registry, results_dir, tmp_path / "docs", "--no-render") == 0
    assert {r.variant for r in load_results(results_dir)} == {"tiny-0"}
    err = capsys.readouterr().err
    assert "skipping tiny-1: not measurable here" in err and "missing.onnx" in err


def test_a_torch_cuda_job_dispatches_to_the_torch_measurement(monkeypatch):
    from benchgen.measure.timing import latency_torch
    from benchgen.refresh.plan import Job
    from benchgen.refresh.run import Options, measure
    from benchgen.registry import load_registry

    registry = load_registry()
    family, variant = registry.variant("damo-yolo-t")
    calls = []
    monkeypatch.setattr(latency_torch, "torch_latency",
                        lambda *args, **kwargs: calls.append((args, kwargs)) or "result")
    job = Job(family, variant, "latency-torch-cuda", "torch-cuda", "key", "gpu-x")
    assert measure(job, registry, Options(seed=3)) == "result"
    # the objects the plan holds, never the id to look up again
    assert calls == [((family, variant, None, 3), {})]
