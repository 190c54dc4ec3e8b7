"""The `benchgen` command. Each verb lives in its own module with a `register(subparsers)` function."""

from __future__ import annotations

import argparse
import importlib
import signal
import sys

from benchgen import __version__
from benchgen.errors import BenchgenError, raise_terminated, terminated_handled

#: verb modules, in the order `benchgen --help` lists them
VERB_MODULES = (
    "benchgen.cli.refresh",
    "benchgen.cli.fetch",
    "benchgen.cli.render",
    "benchgen.cli.export",
    "benchgen.cli.measure",
    "benchgen.cli.score",
    "benchgen.cli.sources",
    "benchgen.cli.listing",
    "benchgen.cli.peak",
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
    """Errors a user can act on end in one line and exit code 2; nothing ends in a traceback of ours."""
    parser = build_parser()
    args = parser.parse_args(argv)
    # SIGTERM unwinds like Ctrl-C, so every `finally` removes its temporary files
    try:
        previous = signal.signal(signal.SIGTERM, raise_terminated)
    except ValueError:  # not the main thread (an embedding caller): leave signals alone
        previous = None
    try:
        return int(args.func(args) or 0)
    except BenchgenError as exc:
        print(f"benchgen: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the file system refused something no check foresaw: say which file
        where = exc.filename or "a file"
        print(f"benchgen: error: {where}: {exc.strerror or exc}; check the path and its permissions", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        terminated_handled()
        print("benchgen: interrupted", file=sys.stderr)
        return 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
