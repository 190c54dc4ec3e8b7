"""Two refreshes of one results tree at once measure every job once, not twice."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from benchgen.locks import exclusive
from benchgen.results.store import load_results
from tests.conftest import REPO
from tests.refresh.conftest import byo_registry

WAITING = "waiting for benchgen test-holder"


def _wait_for(paths, text: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(text in p.read_text(encoding="utf-8", errors="replace") for p in paths):
            return
        time.sleep(0.1)
    raise AssertionError(f"not every refresh said {text!r} within {timeout} s: "
                         + " | ".join(p.read_text(encoding="utf-8", errors="replace") for p in paths))


def test_the_second_refresh_waits_and_then_finds_nothing_stale(tiny_project, tmp_path):
    """The test holds the lock until both refreshes are queued on it, so they overlap however slowly
    either starts (a first run that finished before the second imported made this flaky under CI load)."""
    _, onnx_path = tiny_project
    registry = byo_registry(tmp_path / "reg", onnx_path, variants=2)
    results_dir = tmp_path / "results"
    command = [sys.executable, "-m", "benchgen", "refresh", "--no-builtin", "--registry", str(registry), "--results",
               str(results_dir), "--docs", str(tmp_path / "docs"), "--latency-budget", "0.3",
               "--allow-busy"]  # its own processes, on the real monitor, beside the test suite
    errs = [tmp_path / f"refresh-{i}.err" for i in range(2)]
    handles = [err.open("w", encoding="utf-8") for err in errs]
    with exclusive(results_dir, "test-holder"):
        procs = [subprocess.Popen(command, cwd=REPO, env=os.environ.copy(), stdout=subprocess.DEVNULL,
                                  stderr=handle, text=True) for handle in handles]
        try:
            _wait_for(errs, WAITING, timeout=120)
        except AssertionError:
            for p in procs:
                p.kill()
            raise
    codes = [p.wait(timeout=300) for p in procs]
    for handle in handles:
        handle.close()
    texts = [err.read_text(encoding="utf-8") for err in errs]
    assert codes == [0, 0], texts
    assert sum("0 of 4 measurements are stale" in text for text in texts) == 1, texts
    assert sum("4 of 4 measurements are stale" in text for text in texts) == 1, texts
    results = load_results(results_dir)
    assert sorted((r.variant, r.kind) for r in results) == sorted(
        (f"tiny-{i}", kind) for i in range(2) for kind in ("size", "latency-cpu"))
    assert not (results_dir / ".benchgen.lock").exists() and not (tmp_path / "docs" / ".benchgen.lock").exists()
