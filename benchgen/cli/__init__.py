"""The `benchgen` command. Each verb lives in its own module with a `register(subparsers)` function."""

from __future__ import annotations

import argparse
import importlib
import sys

from benchgen import __version__
from benchgen.errors import BenchgenError

#: verb modules, in the order `benchgen --help` lists them
VERB_MODULES = (
    "benchgen.cli.refresh",
    "benchgen.cli.render",
    "benchgen.cli.export",
    "benchgen.cli.measure",
    "benchgen.cli.sources",
    "benchgen.cli.listing",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="benchgen",
        description="Measure object detectors and publish the results, with provenance, as a static site.",
    )
    parser.add_argument("--version", action="version", version=f"benchgen {__version__}")
    subparsers = parser.add_subparsers(dest="verb", metavar="<command>", required=True)
    for name in VERB_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except BenchgenError as exc:
        print(f"benchgen: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("benchgen: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
