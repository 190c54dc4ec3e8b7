"""What `benchgen latency` records when other processes compete for the CPUs.

    python benchmarks/contention_check.py [--variant damo-yolo-t] [--budget 20] [--hogs 2]

Times the variant on the quiet machine, then again while --hogs CPU-bound processes run, each
with `benchgen latency` as a user would call it. The busy run must end either flagged (status
`unstable`) or within 10 % of the quiet figure: anything else would publish the load as the
model's speed. Exits 1 otherwise. Not a unit test: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HOG = "while True: pass"


def latency(variant: str, budget: float, results: Path) -> dict:
    done = subprocess.run([sys.executable, "-m", "benchgen", "latency", variant, "--budget", str(budget),
                           "--results", str(results)], cwd=REPO, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"benchgen latency failed:\n{done.stderr}")
    print(done.stdout.strip())
    path = Path(done.stdout.strip().rsplit(" -> ", 1)[-1])
    return json.loads(path.read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variant", default="damo-yolo-t")
    parser.add_argument("--budget", type=float, default=20.0)
    parser.add_argument("--hogs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="benchgen-contention-") as tmp:
        quiet = latency(args.variant, args.budget, Path(tmp))
        hogs = [subprocess.Popen([sys.executable, "-c", HOG]) for _ in range(args.hogs)]
        try:
            busy = latency(args.variant, args.budget, Path(tmp))
        finally:
            for hog in hogs:
                hog.kill()
    q, b = quiet["metrics"]["latency_cpu_ms"], busy["metrics"]["latency_cpu_ms"]
    print(f"quiet: {q:.2f} ms [{quiet['status']}]; with {args.hogs} hogs: {b:.2f} ms [{busy['status']}], "
          f"{b / q:.2f}x; waited {busy['details']['contention']['waited_s']} s")
    ok = quiet["status"] == "ok" and (busy["status"] == "unstable" or abs(b / q - 1) <= 0.10)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
