"""`benchgen refresh`: measure what is stale on this machine, keep every result, render the site."""

from __future__ import annotations

import argparse
import time
from contextlib import nullcontext
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from benchgen.cli.options import budget_seconds, readable_dir, seed_number, writable_dir
from benchgen.cli.render import add_site_arguments, check_site_arguments, render
from benchgen.cli.registry_args import registry_from_args
from benchgen.locks import exclusive
from benchgen.refresh.backoff import MAX_AUTO_ATTEMPTS, apply_backoff, still_unstable_line
from benchgen.measure import backends
from benchgen.metrics import BACKENDS, measurement_kinds
from benchgen.refresh.plan import plan
from benchgen.refresh.run import Options, execute
from benchgen.results.index import load_headers


def available_backends(requested: list[str] | None, console: Console) -> dict[str, str]:
    """backend -> machine id the results belong to (benchgen.measure.backends); a backend that cannot
    run here is skipped with its reason, unless the user asked for it."""
    return backends.available_backends(
        requested, lambda backend, why: console.print(f"skipping {backend}: {escape(why)}"))


def run(args: argparse.Namespace) -> int:
    console = Console(stderr=True)
    started = time.monotonic()
    # everything a refresh writes is checked before minutes of measuring, not after
    if args.dry_run:
        readable_dir(args.results, "--results", missing_ok=True)
    else:
        writable_dir(args.results, "--results")
        if not args.no_render:
            check_site_arguments(args)
    registry = registry_from_args(args)
    # a second refresh waits, then plans from what the first wrote: nothing is measured twice
    with nullcontext() if args.dry_run else exclusive(args.results, "refresh"):
        return _refresh(args, registry, console, started)


def _refresh(args: argparse.Namespace, registry, console: Console, started: float) -> int:
    results = load_headers(args.results)  # full results are read only where a measurement needs one
    machines = available_backends(args.backend, console)
    jobs = plan(registry, results, machines, only=args.only, all_variants=args.all, backends=list(machines),
                force=args.force,
                weights_dir=args.weights_dir, seed=args.seed, images=args.images, annotations=args.annotations,
                precisions=tuple(dict.fromkeys(args.precision or ["fp32"])))
    if args.kind:
        jobs = [j for j in jobs if j.kind in args.kind]
    held = apply_backoff(jobs, retry=args.retry_unstable or args.force or args.allow_busy)
    stale = [j for j in jobs if j.stale]
    for variant_id, reason in dict.fromkeys((j.variant.id, j.reason) for j in jobs if j.unavailable):
        console.print(f"skipping {variant_id}: {escape(reason)}")
    if args.dry_run:
        for job in jobs:
            mark = "run " if job.stale else "skip"
            print(f"{mark} {job.label:<48} {job.reason}")
        print(f"{len(stale)} of {len(jobs)} measurements would run")
        return 0
    console.print(f"{len(stale)} of {len(jobs)} measurements are stale on {', '.join(sorted(set(machines.values())))}")
    outcome = execute(stale, registry, args.results, results,
                      Options(latency_budget_s=args.latency_budget, images=args.images,
                              annotations=args.annotations, seed=args.seed, allow_busy=args.allow_busy), console)
    code = 0
    if outcome.failed:
        console.print(f"[red]{len(outcome.failed)} measurement(s) failed[/red]; recorded with their errors and "
                      "shown on the pages as failed")
        code = 1
    if outcome.unstable:
        console.print(f"[yellow]{len(outcome.unstable)} measurement(s) unstable[/yellow] (the machine was busy or "
                      f"changed speed): {', '.join(escape(r.variant) for r in outcome.unstable)}; recorded with their "
                      "evidence, not shown as figures")
    for why, jobs_held in held.items():
        console.print(f"{len(jobs_held)} unstable timing(s) not timed again ({escape(why)}): "
                      f"{', '.join(j.variant.id for j in jobs_held)}")
    if outcome.unconfirmed:
        console.print(f"{len(outcome.unconfirmed)} apparent regression(s) not confirmed by re-timing; none published")
    if outcome.regressions:
        console.print(f"[bold red]{len(outcome.regressions)} regression(s) beyond noise[/bold red] flagged on the "
                      "pages (a latency one only after a re-timing confirmed it)")
    if not args.no_render:
        render(registry, args.results, args.docs, args.templates)
    line = still_unstable_line([*outcome.unstable, *(j.last_unstable.load() for js in held.values() for j in js)])
    if line:  # last, where a user looks: what is still unstable, why, and the command for only those
        console.print(f"[yellow]{escape(line)}[/yellow]", soft_wrap=True)  # one line: the command copies whole
    console.print(f"refresh done in {time.monotonic() - started:.1f} s")
    return code


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "refresh", help="re-measure what is stale and regenerate the site",
        description="Measure every variant x backend available on this machine whose inputs changed since its "
                    "last successful measurement (model definition, weights, export settings, backend, machine, "
                    "benchgen version), keep every result, then render the site.")
    add_site_arguments(parser)
    parser.add_argument("--only", action="append", metavar="ID",
                        help="family or variant id (repeatable); default: every variant benchgen builds itself or "
                             "reads from a file, and the smallest size of each provider-built family")
    parser.add_argument("--all", action="store_true",
                        help="every measurable variant, all sizes of the provider-built families included")
    parser.add_argument("--backend", action="append", choices=sorted(BACKENDS),
                        help="backend to measure with (repeatable); default: every backend available here")
    parser.add_argument("--kind", action="append", choices=measurement_kinds(),
                        help="measurement kind (repeatable), e.g. size alone: params and FLOPs, which do not depend "
                             "on the machine's load; default: every kind")
    parser.add_argument("--precision", action="append", choices=("fp32", "int8"),
                        help="precision (repeatable): int8 adds the quantised graph's CPU latencies and accuracy "
                             "(benchgen.measure.quantize); default: fp32")
    parser.add_argument("--dry-run", action="store_true", help="list what would run and why, measure nothing")
    parser.add_argument("--force", action="store_true", help="re-measure even what is up to date")
    parser.add_argument("--weights-dir", type=Path, default=None,
                        help="directory of official checkpoints named after their configs (<config>*.pth); "
                             "with them, mAP is measured too")
    parser.add_argument("--images", type=Path, default=None, help="COCO images directory for mAP")
    parser.add_argument("--annotations", type=Path, default=None, help="COCO instances JSON for mAP")
    parser.add_argument("--latency-budget", type=budget_seconds, default=20.0, metavar="SECONDS",
                        help="time budget per CPU latency measurement (default: %(default)s)")
    parser.add_argument("--seed", type=seed_number, default=0, help="seed of the random weights without checkpoints")
    parser.add_argument("--allow-busy", action="store_true",
                        help="time even while other processes load the machine, without waiting or retrying; the "
                             "results are published, with the load evidence in their notes")
    parser.add_argument("--retry-unstable", action="store_true",
                        help="time again the latencies whose last timing came out unstable; without it they are "
                             "timed again only while the machine is quiet at the start, and at most "
                             f"{MAX_AUTO_ATTEMPTS} times with the same inputs")
    parser.add_argument("--no-render", action="store_true", help="measure only; do not regenerate the pages")
    parser.set_defaults(func=run)
