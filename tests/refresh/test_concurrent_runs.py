"""Two refreshes of one results tree at once measure every job once, not twice."""

from __future__ import annotations

import os
import subprocess
import sys

from benchgen.results.store import load_results
from tests.conftest import REPO
from tests.refresh.conftest import byo_registry


def test_the_second_refresh_waits_and_then_finds_nothing_stale(tiny_project, tmp_path):
    _, onnx_path = tiny_project
    registry = byo_registry(tmp_path / "reg", onnx_path, variants=2)
    results_dir = tmp_path / "results"
    command = [sys.executable, "-m", "benchgen", "refresh", "--no-builtin", "--registry", str(registry), "--results",
               str(results_dir), "--docs", str(tmp_path / "docs"), "--latency-budget", "0.3",
               "--allow-busy"]  # its own processes, on the real monitor, beside the test suite
    procs = [subprocess.Popen(command, cwd=REPO, env=os.environ.copy(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outcomes = [p.communicate(timeout=300) + (p.returncode,) for p in procs]
    assert [code for _, _, code in outcomes] == [0, 0], outcomes
    errs = [err for _, err, _ in outcomes]
    assert sum("waiting for benchgen refresh" in err for err in errs) == 1, errs
    assert sum("0 of 4 measurements are stale" in err for err in errs) == 1, errs
    results = load_results(results_dir)
    assert sorted((r.variant, r.kind) for r in results) == sorted(
        (f"tiny-{i}", kind) for i in range(2) for kind in ("size", "latency-cpu"))
    assert not (results_dir / ".benchgen.lock").exists() and not (tmp_path / "docs" / ".benchgen.lock").exists()
