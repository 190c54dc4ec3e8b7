"""`benchgen refresh`: validate the registry, measure what is stale, render the site."""

from __future__ import annotations

import argparse

from benchgen.cli.render import add_site_arguments, render_from_args
from benchgen.registry import load_registry


def run(args: argparse.Namespace) -> int:
    registry = load_registry(args.registry)
    count = sum(len(f.variants) for f in registry.families)
    print(f"registry ok: {len(registry.families)} families, {count} variants")
    return render_from_args(args)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "refresh", help="re-measure what is stale and regenerate the site",
        description="Validate the registry, measure every stale variant x backend available on this machine, "
                    "then render the site.")
    add_site_arguments(parser)
    parser.set_defaults(func=run)
