"""`benchgen render`: regenerate the site's pages from the registry and the results. Never measures."""

from __future__ import annotations

import argparse
from pathlib import Path

from benchgen.cli.registry_args import add_registry_arguments, registry_from_args
from benchgen.render.pages import DEFAULT_DOCS, DEFAULT_TEMPLATES, render_site
from benchgen.results.store import DEFAULT_RESULTS_DIR, load_results


def add_site_arguments(parser: argparse.ArgumentParser) -> None:
    add_registry_arguments(parser)
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS_DIR,
                        help="results directory (default: %(default)s)")
    parser.add_argument("--docs", type=Path, default=DEFAULT_DOCS, help="MkDocs docs directory to write into")
    parser.add_argument("--templates", type=Path, default=DEFAULT_TEMPLATES, help="Jinja templates directory")


def render_from_args(args: argparse.Namespace) -> int:
    registry = registry_from_args(args)
    results = load_results(args.results)
    written = render_site(registry, results, docs=args.docs, templates=args.templates)
    pages = [p for p in written if p.suffix == ".md"]
    print(f"rendered {len(pages)} pages from {len(registry.families)} families and {len(results)} results "
          f"into {args.docs}")
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "render", help="regenerate the site's pages from the registry and results (never measures)",
        description="Regenerate comparison, family and leaderboard pages, chart data and the results schema "
                    "from the registry and the results directory. Runs no model.")
    add_site_arguments(parser)
    parser.set_defaults(func=render_from_args)
