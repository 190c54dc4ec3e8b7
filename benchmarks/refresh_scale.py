"""How long `benchgen refresh` takes with nothing stale over a large results tree.

    python benchmarks/refresh_scale.py [--families 50] [--results 60000] [--reuse DIR] [--repeat 1] [--render]

Builds the synthetic field of benchmarks/synthetic_field.py (a registry of bring-your-own families
and ~N result files whose newest keys match the plan) in a temporary directory, or with --reuse DIR
uses the one there (building it first if DIR has none: generating 60,000 files takes a while).
Then times, each in its own process, as a user runs them:

- `benchgen refresh --no-render`, cold: the results index is removed first, so every file is read;
- the same, warm: the next run, which reads the index and only the files it does not hold;
- `load_results` alone: every result read in full (what `benchgen list` and `load_frame` do);
- with --render, a warm `benchgen refresh` that renders the site too (into a scratch docs dir).

For each it prints wall time and the child's CPU time (user + sys, from getrusage(RUSAGE_CHILDREN)),
which a busy machine inflates less than wall time, and the machine (CPU model, cores, load
average before and after). The index lives in DIR/cache (BENCHGEN_CACHE_DIR), never in the
project's cache. Not a timed test: run it on a quiet machine for figures worth quoting.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchgen.results.provenance import cpu_model  # noqa: E402
from benchmarks.synthetic_field import MACHINE_ID  # noqa: E402




def build(field: Path, families: int, results: int) -> None:
    if (field / "registry").is_dir() and (field / "results").is_dir():
        print(f"reusing the field in {field}")
        return
    print(f"building {families} families and ~{results} results in {field} (a while) ...", flush=True)
    subprocess.run([sys.executable, str(REPO / "benchmarks" / "synthetic_field.py"), str(field),
                    "--families", str(families), "--results", str(results)], check=True)


def timed(label: str, command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall s, CPU s of the child) of one run of `command`; exits if it fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        sys.exit(f"{label} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    print(f"{label:<44} wall {wall:6.2f} s   cpu {cpu:6.2f} s", flush=True)
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--families", type=int, default=50)
    parser.add_argument("--results", type=int, default=60000)
    parser.add_argument("--reuse", type=Path, default=None, metavar="DIR",
                        help="field directory to reuse (built there if missing); default: a temporary one")
    parser.add_argument("--repeat", type=int, default=1, help="warm runs to time (default: %(default)s)")
    parser.add_argument("--render", action="store_true", help="also time a warm refresh that renders the site")
    args = parser.parse_args()

    field = args.reuse or Path(tempfile.mkdtemp(prefix="benchgen-field-"))
    build(field, args.families, args.results)
    count = sum(1 for _ in (field / "results").glob("*/*/*/*.json"))
    env = dict(os.environ, BENCHGEN_MACHINE_ID=MACHINE_ID, BENCHGEN_CACHE_DIR=str(field / "cache"))
    benchgen = [sys.executable, "-m", "benchgen"]
    refresh = [*benchgen, "refresh", "--no-builtin", "--registry", str(field / "registry"),
               "--results", str(field / "results")]
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}; "
          f"python {platform.python_version()}")
    print(f"field: {args.families} families, {count} result files in {field / 'results'}")

    shutil.rmtree(field / "cache" / "results-index", ignore_errors=True)
    timed("refresh --no-render, cold (no index)", [*refresh, "--no-render"], env)
    for i in range(args.repeat):
        timed(f"refresh --no-render, warm{f' #{i + 1}' if args.repeat > 1 else ''}", [*refresh, "--no-render"], env)
    timed("load_results (every file in full)",
          [sys.executable, "-c", "import sys; from benchgen.results.store import load_results; "
           "print(len(load_results(sys.argv[1])))", str(field / "results")], env)
    if args.render:
        docs = Path(tempfile.mkdtemp(prefix="benchgen-docs-"))
        try:
            timed("refresh (with render), warm", [*refresh, "--docs", str(docs)], env)
        finally:
            shutil.rmtree(docs, ignore_errors=True)
    print(f"load average after: {os.getloadavg()[0]:.2f} (figures on a shared machine are upper bounds)")
    if args.reuse is None:
        shutil.rmtree(field, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
