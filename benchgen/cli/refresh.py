"""`benchgen refresh`: measure what is stale on this machine, keep every result, render the site."""

from __future__ import annotations

import argparse
import time
from contextlib import nullcontext
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from benchgen.cli.options import budget_seconds, readable_dir, readable_file, seed_number, writable_dir
from benchgen.cli.render import add_site_arguments, check_site_arguments, render
from benchgen.cli.fetch import add_mirror_argument
from benchgen.cli.registry_args import registry_from_args
from benchgen.errors import BenchgenError
from benchgen.fetch.datasets import fetch_dataset, local_dataset
from benchgen.fetch.files import fetch
from benchgen.fetch.locations import data_dir, mirrors, use_mirrors
from benchgen.registry.downloads import variant_wanted
from benchgen.registry.datasets import dataset, default_dataset
from benchgen.locks import exclusive
from benchgen.refresh.backoff import MAX_AUTO_ATTEMPTS, apply_backoff, still_unstable_line
from benchgen.measure.backends import discovery as backends
from benchgen.metrics import BACKENDS, measurement_kinds
from benchgen.refresh.plan import plan
from benchgen.refresh.run import Options, execute
from benchgen.results.index import load_headers


def available_backends(requested: list[str] | None, console: Console) -> dict[str, str]:
    """backend -> machine id the results belong to (benchgen.measure.backends.discovery); a backend that cannot
    run here is skipped with its reason, unless the user asked for it."""
    return backends.available_backends(
        requested, lambda backend, why: console.print(f"skipping {backend}: {escape(why)}", soft_wrap=True))


def skipped_lines(jobs) -> list[str]:
    """One line per reason a variant cannot be measured here, naming every variant it applies to: eight
    variants of a provider that is not installed are one line with its install command, not eight."""
    by_reason: dict[str, list[str]] = {}
    for job in jobs:
        if job.unavailable and job.variant.id not in by_reason.setdefault(job.reason, []):
            by_reason[job.reason].append(job.variant.id)
    return [f"skipping {len(ids)} variant{'s' if len(ids) > 1 else ''} ({', '.join(ids)}): {reason}"
            if len(ids) > 1 else f"skipping {ids[0]}: {reason}" for reason, ids in by_reason.items()]


def check_inputs(args: argparse.Namespace) -> None:
    """A given --weights-dir, --images or --annotations exists: one that does not would drop the mAP
    jobs (or the checkpoints) without a word, even in a dry run."""
    for option, path in (("--weights-dir", args.weights_dir), ("--images", args.images)):
        if path is not None:
            readable_dir(path, option)
    if args.annotations is not None:
        readable_file(args.annotations, "--annotations")


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
    check_inputs(args)
    use_mirrors(args.mirror)
    if args.dataset and (args.images or args.annotations):
        raise BenchgenError("--dataset: give either --dataset ID or --images/--annotations, not both")
    if args.dataset:
        dataset(args.dataset)  # an unknown name fails before anything runs
    registry = registry_from_args(args)
    # a second refresh waits, then plans from what the first wrote: nothing is measured twice
    with nullcontext() if args.dry_run else exclusive(args.results, "refresh"):
        return _refresh(args, registry, console, started)


def _refresh(args: argparse.Namespace, registry, console: Console, started: float) -> int:
    results = load_headers(args.results)  # full results are read only where a measurement needs one
    machines = available_backends(args.backend, console)
    selection = dict(only=args.only, all_variants=args.all, backends=list(machines), force=args.force,
                     weights_dir=args.weights_dir, seed=args.seed, report_missing_dataset=True,
                     dataset_label=f"--dataset {args.dataset}" if args.dataset else None,
                     precisions=tuple(dict.fromkeys(args.precision or ["fp32"])))
    chosen = dataset(args.dataset) if args.dataset else None
    def planned() -> list:
        found = plan(registry, results, machines, **selection, **dataset_paths(args, chosen))
        return [j for j in found if j.kind in args.kind] if args.kind else found

    if args.fetch and not args.dry_run:
        fetch_needed(registry, planned(), chosen, console)  # what this plan (and --kind) needs, nothing more
    jobs = planned()
    # accuracy that waits for the dataset is no measurement of this machine's plan: only the grouped line says it
    waits = [j.missing is not None and j.missing.startswith("--dataset") for j in jobs]
    no_dataset = [j for j, wait in zip(jobs, waits) if wait]
    jobs = [j for j, wait in zip(jobs, waits) if not wait]
    held = apply_backoff(jobs, retry=args.retry_unstable or args.force or args.allow_busy)
    stale = [j for j in jobs if j.stale]
    for line in skipped_lines([j for j in jobs if not j.missing]):
        console.print(escape(line), soft_wrap=True)  # one line each, however narrow the console
    line = missing_line(jobs + no_dataset)
    if line:  # one line for everything a fetch would bring, however many variants it is
        console.print(escape(line), soft_wrap=True)
    if args.dry_run:
        for job in jobs:
            mark = "run " if job.stale else "skip"
            print(f"{mark} {job.label:<48} {job.reason}")
        print(f"{len(stale)} of {len(jobs)} measurements would run")
        return 0
    console.print(f"{len(stale)} of {len(jobs)} measurements are stale on {', '.join(sorted(set(machines.values())))}")
    paths = dataset_paths(args, chosen)
    outcome = execute(stale, registry, args.results, results,
                      Options(latency_budget_s=args.latency_budget, images=paths["images"],
                              annotations=paths["annotations"], seed=args.seed, allow_busy=args.allow_busy), console)
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


def dataset_paths(args: argparse.Namespace, chosen) -> dict:
    """--images/--annotations, or the chosen --dataset's copy here (None where it is not here: no mAP)."""
    if chosen is None:
        return {"images": args.images, "annotations": args.annotations}
    root = local_dataset(chosen, mirrors())
    if root is None:  # not there: the plan finds no dataset and groups the skip
        return {"images": None, "annotations": None, "dataset_here": False}
    return {"images": root / chosen.split, "annotations": root / "annotations" / f"instances_{chosen.split}.json"}


def fetch_needed(registry, jobs, chosen, console: Console) -> None:
    """refresh --fetch: get what the plan misses, each file once; what cannot be got stays skipped."""
    failures = []
    for variant_id in dict.fromkeys(j.missing for j in jobs if j.missing and not j.missing.startswith("--dataset")):
        _, variant = registry.variant(variant_id)
        try:
            fetch(variant_wanted(variant), mirrors(), network=True)
        except BenchgenError as exc:
            failures.append(str(exc))
    if any(j.missing and j.missing.startswith("--dataset") for j in jobs):
        try:
            fetch_dataset(chosen or default_dataset(), mirrors(), network=True)
        except BenchgenError as exc:
            failures.append(str(exc))
    if failures:  # one line however many: the grouped skip line that follows says what to do
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        console.print(f"could not fetch {len(failures)} file(s); first: {escape(failures[0])}{more}", soft_wrap=True)


def missing_line(jobs) -> str | None:
    """One line for every measurement skipped because a fetchable file or dataset is not here."""
    skipped = [j for j in jobs if j.unavailable and j.missing]
    if not skipped:
        return None
    targets = list(dict.fromkeys(j.missing for j in skipped))
    variants = sorted({j.variant.id for j in skipped})
    ids = [t for t in targets if not t.startswith("--dataset")]
    datasets = [t for t in targets if t.startswith("--dataset")]
    command = "benchgen fetch " + " ".join([*ids, *datasets])  # every id: the command copies whole
    return (f"skipped {len(skipped)} measurement(s) of {len(variants)} variant(s) whose trained files or dataset are "
            f"not here; get them with `{command}` (or `benchgen refresh --fetch`), from a copy with "
            "`--mirror URL|DIR`")


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
                             "(benchgen.measure.graph.quantize); default: fp32")
    parser.add_argument("--dry-run", action="store_true", help="list what would run and why, measure nothing")
    parser.add_argument("--force", action="store_true", help="re-measure even what is up to date")
    parser.add_argument("--weights-dir", type=Path, default=None,
                        help="directory of official checkpoints named after their configs (<config>*.pth); "
                             "with them, mAP is measured too")
    parser.add_argument("--fetch", action="store_true",
                        help="fetch the trained files and the dataset the plan needs first (without it, refresh "
                             "opens no connection and skips what is not here, in one line)")
    add_mirror_argument(parser)
    parser.add_argument("--dataset", default=None, metavar="ID",
                        help="evaluation dataset for mAP: coco-val2017-tiny80 (the default where a copy is here) "
                             "or coco-val2017 (5,000 images; fetch it with benchgen fetch --dataset coco-val2017)")
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
