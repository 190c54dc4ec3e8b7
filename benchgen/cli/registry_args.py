"""`--registry DIR` (repeatable) and `--no-builtin`, the same on every verb.

Your registry directories are *added* to the built-in one, so measuring one private model needs
one YAML file, not a copy of benchgen's; `--no-builtin` keeps only yours. $BENCHGEN_REGISTRY
(os.pathsep-separated directories) adds to the built-in one in the same way.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from benchgen.registry import Registry
from benchgen.registry.load import load_registries


def add_registry_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--registry", type=Path, action="append", default=None, metavar="DIR",
                        help="directory of registry YAML files added to the built-in registry (repeatable; "
                             "also $BENCHGEN_REGISTRY, os.pathsep-separated)")
    parser.add_argument("--no-builtin", action="store_true",
                        help="leave out the built-in registry: only --registry / $BENCHGEN_REGISTRY entries")


def registry_from_args(args: argparse.Namespace) -> Registry:
    return load_registries(getattr(args, "registry", None), builtin=not getattr(args, "no_builtin", False))
