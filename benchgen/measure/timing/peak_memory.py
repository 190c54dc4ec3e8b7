"""Peak resident memory of one model's ONNX Runtime session, each in a fresh process.

Why a process of its own: ONNX Runtime's arenas are not returned to the system when a session is
released, so in the timing process one model's memory would sit under the next one's. A fresh
process per model starts from nothing but Python, numpy and onnxruntime. Why the kernel's
high-water mark (Linux: VmHWM, reset by writing 5 to /proc/self/clear_refs) and not a polled RSS
(psutil): a poll sees the resident set when it looks, and misses the transient peaks of session
creation (graph optimisation holds the model twice) and of the first run (arena growth); the
kernel's own mark misses nothing. The mark is reset once the input and the graph's bytes are in
memory, so reading the model (onnx.load holds it whole for a moment) does not hide the session's
peak under its own; the figure is then the mark after session creation and the runs, minus the
resident set at the reset: what loading and running this model costs a process. Where the mark
cannot be reset (not Linux), the growth of `ru_maxrss` is used instead and the method says so; it
can read low when an earlier transient was larger than the session. The child builds its session
with the timing's own options and graph (`session_options`, `session_source`), runs it on the
timing's own pre-processed input, and prints one JSON line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

import benchgen

#: runs after session creation: the first allocates the arenas; a few more reach their steady size
RUNS = 5
#: a model's child has this long (session creation of the largest field models takes seconds)
TIMEOUT_S = 300.0
METHODS = {
    "vmhwm": "fresh process per model: the kernel's high-water resident set (VmHWM, reset just before the ONNX "
             "Runtime session is created) after session creation and {runs} runs on the timed input, minus the "
             "resident set at the reset",
    "ru_maxrss": "fresh process per model: growth of ru_maxrss from before the ONNX Runtime session was created to "
                 "after it and {runs} runs on the timed input (the high-water mark could not be reset here, so an "
                 "earlier larger transient can hide part of the session's peak)",
}


def _status_mb(field: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 2**10  # kB
    except OSError:
        return None
    return None


def reset_high_water() -> float | None:
    """Reset the kernel's high-water resident set and return the resident set now (MiB), or None."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return None
    return _status_mb("VmRSS")


def ru_maxrss_mb() -> float:
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS, KiB on Linux


def measure_here(onnx_path: Path, feeds_path: Path, threads: int | None, runs: int = RUNS) -> dict[str, float]:
    """In the child: baseline, session, runs, peak."""
    import onnxruntime as ort

    from benchgen.measure.backends.feeds import bind_feeds
    from benchgen.measure.backends.runners import session_options, session_source

    with np.load(feeds_path) as stored:
        feeds = {name: stored[name] for name in stored.files}
    options, _ = session_options(threads)
    source = session_source(onnx_path)
    resident = reset_high_water()
    how = "vmhwm" if resident is not None else "ru_maxrss"
    baseline = resident if resident is not None else ru_maxrss_mb()
    session = ort.InferenceSession(source, sess_options=options, providers=["CPUExecutionProvider"])
    bound = bind_feeds(feeds, [i.name for i in session.get_inputs()])
    for _ in range(runs):
        session.run(None, bound)
    peak = _status_mb("VmHWM") if how == "vmhwm" else ru_maxrss_mb()
    return {"peak_mb": round(max(0.0, peak - baseline), 1), "baseline_mb": round(baseline, 1), "runs": runs,
            "method": METHODS[how].format(runs=runs)}


def measure_peak_memory(onnx_path: Path, feeds: dict[str, np.ndarray], threads: int | None = None,
                        runs: int = RUNS, timeout_s: float = TIMEOUT_S) -> dict[str, float | int | str]:
    """A `PeakMemory` record of the model, measured by a child process; raises RuntimeError with the
    child's last line when it fails (the latency result then says why it has no memory figure)."""
    with tempfile.TemporaryDirectory(prefix="benchgen-memory-") as folder:
        feeds_path = Path(folder) / "feeds.npz"
        np.savez(feeds_path, **feeds)
        command = [sys.executable, "-m", "benchgen.measure.timing.peak_memory", str(onnx_path), str(feeds_path),
                   str(threads or 0), str(runs)]
        # the child imports this very benchgen, whatever is installed in the environment
        package_root = str(Path(benchgen.__file__).resolve().parent.parent)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH"))
                                                             if p)}
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, env=env)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"the memory child did not finish in {timeout_s:.0f} s") from None
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"the memory child exited with {done.returncode}: {tail}")
    return json.loads(lines[-1])


def main(argv: list[str]) -> int:
    onnx_path, feeds_path, threads, runs = argv
    print(json.dumps(measure_here(Path(onnx_path), Path(feeds_path), int(threads) or None, int(runs))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
