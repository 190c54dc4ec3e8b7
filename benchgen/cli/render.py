"""`benchgen render`: regenerate the site's pages from the registry and the results. Never measures."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchgen.cli.options import readable_dir, writable_dir
from benchgen.cli.registry_args import add_registry_arguments, registry_from_args
from benchgen.registry.schema import Registry
from benchgen.render.pages import check_docs, render_site
from benchgen.paths import DEFAULT_DOCS, DEFAULT_RESULTS_DIR, DEFAULT_TEMPLATES
from benchgen.results.index import Results, load_headers
from benchgen.results.peaks import load_peaks


def add_site_arguments(parser: argparse.ArgumentParser) -> None:
    add_registry_arguments(parser)
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS_DIR,
                        help="results directory (default: the project's, %(default)s)")
    parser.add_argument("--docs", type=Path, default=DEFAULT_DOCS,
                        help="MkDocs docs directory to write into (default: the project's, %(default)s)")
    parser.add_argument("--templates", type=Path, default=DEFAULT_TEMPLATES,
                        help="Jinja templates directory (default: the project's, %(default)s)")


def check_site_arguments(args: argparse.Namespace) -> None:
    """Before anything is read or rendered: every directory is what it must be."""
    readable_dir(args.templates, "--templates")
    readable_dir(args.results, "--results", missing_ok=True)
    writable_dir(args.docs, "--docs")
    check_docs(args.docs)


def warn(message: str) -> None:
    print(f"benchgen: warning: {message}", file=sys.stderr)


def report_results(registry: Registry, results: Results, results_dir: Path) -> None:
    """Say what would otherwise vanish without a word: no results at all, or results no row shows."""
    if not results:
        state = "does not exist" if not Path(results_dir).exists() else "holds no result files"
        warn(f"--results {results_dir} {state}: every number on the pages will be the authors' reported one, "
             "none measured; pass the results directory with --results")
    known = {v.id for _, v in registry.variants()}
    unknown = sorted({r.variant for r in results if r.variant not in known})
    if unknown:
        count = sum(r.variant not in known for r in results)
        warn(f"{count} result(s) in {results_dir} are for variants not in the registry and are not shown: "
             f"{', '.join(map(repr, unknown[:5]))}{' ...' if len(unknown) > 5 else ''}; "
             "add them to the registry or remove the files")


def render_from_args(args: argparse.Namespace) -> int:
    check_site_arguments(args)
    return render(registry_from_args(args), args.results, args.docs, args.templates)


def render(registry: Registry, results_dir: Path, docs: Path, templates: Path) -> int:
    """Read the results as they are now, render the site, say what was rendered (refresh calls this
    after measuring, with its own registry)."""
    results = load_headers(results_dir)  # the pages read in full only the results their cells show
    report_results(registry, results, results_dir)
    written = render_site(registry, results, docs=docs, templates=templates, peaks=load_peaks(results_dir))
    pages = [p for p in written if p.suffix == ".md"]
    print(f"rendered {len(pages)} pages from {len(registry.families)} families and {len(results)} results "
          f"into {docs}")
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "render", help="regenerate the site's pages from the registry and results (never measures)",
        description="Regenerate comparison, family and leaderboard pages, chart data and the results schema "
                    "from the registry and the results directory. Runs no model. Default directories are the "
                    "project's, whatever the working directory.")
    add_site_arguments(parser)
    parser.set_defaults(func=render_from_args)
