"""Does the site hold 50 families? Render time, MkDocs build time and page sizes at scale.

    python benchmarks/site_scale.py [--families 50] [--results 750] [--keep DIR]

Builds the synthetic field of benchmarks/synthetic_field.py (50 families x 5 variants, a result
history on one machine), copies the project's hand-written docs/ beside it, and times, each in its
own process as a user runs them:

1. `benchgen render` of the whole field (issue #14 target: <= 3 s on the 2-core machine);
2. `mkdocs build --strict` of the result (target: <= 40 s per 1,000 pages);

then reports the HTML size of the compare pages (target: <= 150 KB each) and of the largest page.
Not a unit test: it times real work, so run it on a quiet machine, not beside a test suite.
"""

from __future__ import annotations

import argparse
import os
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
from benchmarks.synthetic_field import MACHINE_ID, write_registry, write_results  # noqa: E402

BIN = Path(sys.executable).parent


def timed(command: list[str], env: dict, cwd: Path) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + sys) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)




def python_probe_ms() -> float:
    """Median time of a fixed pure-Python loop: how fast this machine runs Python right now. A
    shared VM's speed drifts by tens of percent within minutes; quote a render time beside it."""
    times = []
    for _ in range(7):
        start = time.perf_counter()
        sum(range(3_000_000))
        times.append((time.perf_counter() - start) * 1000)
    return sorted(times)[3]


def mkdocs_config(project: Path) -> Path:
    """The project's mkdocs.yml pointed at the synthetic docs/ (it resolves paths from its own folder)."""
    config = project / "mkdocs.yml"
    shutil.copyfile(REPO / "mkdocs.yml", config)
    return config


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--families", type=int, default=50)
    parser.add_argument("--variants", type=int, default=5)
    parser.add_argument("--results", type=int, default=750, help="result files of the synthetic history")
    parser.add_argument("--keep", type=Path, help="build here and keep it (default: a temporary directory)")
    parser.add_argument("--no-mkdocs", action="store_true", help="time the render only")
    args = parser.parse_args()

    if args.keep:
        project = args.keep
        shutil.rmtree(project, ignore_errors=True)
        project.mkdir(parents=True)
    else:
        project = Path(tempfile.mkdtemp(prefix="benchgen-site-scale-"))
    try:
        registry = write_registry(project, args.families, args.variants)
        count = write_results(project, registry, args.results) if args.results else 0
        shutil.copytree(REPO / "docs", project / "docs",
                        ignore=shutil.ignore_patterns("compare", "families", "generated", "vendor", "index.md",
                                                      "leaderboard.md", ".render-*", ".benchgen.lock"))
        os.symlink(REPO / "node_modules", project / "node_modules")
        env = {**os.environ, "BENCHGEN_MACHINE_ID": MACHINE_ID, "NO_MKDOCS_2_WARNING": "1",
               "BENCHGEN_RESULTS": str(project / "results")}
        render = [str(BIN / "benchgen"), "render", "--no-builtin", "--registry", str(registry),
                  "--results", str(project / "results"), "--docs", str(project / "docs"),
                  "--templates", str(REPO / "templates")]
        probe_before = python_probe_ms()
        render_wall, render_cpu = timed(render, env, project)
        probe_after = python_probe_ms()
        pages = sorted((project / "docs").rglob("*.md"))
        print(f"machine: {cpu_model()}, {os.cpu_count()} cores")
        print(f"field: {args.families} families x {args.variants} variants, {count} result files, "
              f"{len(pages)} Markdown pages")
        print(f"benchgen render: {render_wall:.2f} s wall, {render_cpu:.2f} s CPU "
              f"(Python probe {probe_before:.0f} ms before, {probe_after:.0f} ms after)")
        if args.no_mkdocs:
            return 0
        config = mkdocs_config(project)
        build_wall, build_cpu = timed([str(BIN / "mkdocs"), "build", "--strict", "-q", "-f", str(config)],
                                      env, project)
        site = project / "site"
        html = sorted(site.rglob("*.html"))
        compare = [p for p in html if "-vs-" in p.parent.name]
        sizes = sorted(p.stat().st_size for p in compare)
        biggest = max(html, key=lambda p: p.stat().st_size)
        print(f"mkdocs build --strict: {build_wall:.1f} s wall, {build_cpu:.1f} s CPU for {len(html)} HTML pages "
              f"= {build_wall / len(html) * 1000:.1f} s per 1,000 pages")
        if sizes:
            print(f"compare pages: {len(sizes)}, HTML {sizes[0] / 1024:.0f}-{sizes[-1] / 1024:.0f} KB "
                  f"(median {sizes[len(sizes) // 2] / 1024:.0f} KB)")
        print(f"largest page: {biggest.relative_to(site)} {biggest.stat().st_size / 1024:.0f} KB")
    finally:
        if not args.keep:
            shutil.rmtree(project, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
