"""Checks of command-line values, shared by every verb, made before any expensive work.

An export takes seconds and a refresh minutes; an unwritable `--output` or a `--budget nan`
found at the end costs all of that and used to end in a traceback. Each check raises a
one-line error naming the option and what to do.
"""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path

from benchgen.atomic_files import reserve_temp_path
from benchgen.errors import BenchgenError


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number (got {text!r})") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (got {value})")
    return value


def positive_float(text: str) -> float:
    """A finite number above zero: `nan` compares false with everything and `inf` never ends a budget."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number (got {text!r})") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number above 0, e.g. 20 (got {text!r})")
    return value


def _existing_ancestor(path: Path) -> Path:
    path = Path(os.path.abspath(path))
    while not path.exists():
        path = path.parent
    return path


def _probe(directory: Path, option: str, path: Path) -> None:
    """Create and remove a file in `directory`: the only test that also holds for root and /proc."""
    try:
        probe = reserve_temp_path(directory / ".benchgen-write-probe")
        probe.unlink()
    except OSError as exc:
        raise BenchgenError(f"{option} {path}: cannot write in {directory} ({exc.strerror}); "
                            "choose a directory you can write to") from None


def writable_file(path: Path, option: str) -> Path:
    """`path` can be (re)written as a file: not a directory, and its directory accepts new files."""
    path = Path(path)
    if path.is_dir():
        raise BenchgenError(f"{option} {path}: is a directory; give a file name, e.g. {path / 'model.onnx'}")
    ancestor = _existing_ancestor(path.parent)
    if not ancestor.is_dir():
        raise BenchgenError(f"{option} {path}: {ancestor} is a file, not a directory; give another path")
    _probe(ancestor, option, path)
    return path


def writable_dir(path: Path, option: str) -> Path:
    """`path` is, or can be created as, a directory that accepts new files."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise BenchgenError(f"{option} {path}: is a file, not a directory; give a directory")
    ancestor = _existing_ancestor(path)
    if not ancestor.is_dir():
        raise BenchgenError(f"{option} {path}: {ancestor} is a file, not a directory; give another path")
    _probe(ancestor, option, path)
    return path


def readable_dir(path: Path, option: str, missing_ok: bool = False) -> Path:
    path = Path(path)
    if not path.exists():
        if missing_ok:
            return path
        raise BenchgenError(f"{option} {path}: directory not found; give an existing directory")
    if not path.is_dir():
        raise BenchgenError(f"{option} {path}: is a file, not a directory; give a directory")
    return path
