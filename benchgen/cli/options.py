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
from typing import Callable

from benchgen.atomic_files import reserve_temp_path
from benchgen.errors import BenchgenError


#: The longest a latency measurement may be given to time (an hour): the stopping rule ends far
#: sooner on a quiet machine, and a refresh spends it once per variant and backend.
MAX_BUDGET_S = 3600.0
#: below this the warm-up alone is longer than the timed runs, and a median of so few runs says little
MIN_BUDGET_S = 0.1
#: threads that decode and pre/post-process images in `eval`: past this, they only wait on each other
MAX_WORKERS = 64
#: images `eval --max-images` may take: larger than any COCO-format evaluation set (val2017 has 5,000)
MAX_IMAGES = 10_000_000


def _whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number (got {text!r})") from None


def positive_int(text: str) -> int:
    value = _whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (got {value})")
    return value


def int_between(low: int, high: int, why: str) -> Callable[[str], int]:
    """An argparse type: a whole number from `low` to `high`; `why` says where the bound comes from."""
    def parse(text: str) -> int:
        value = _whole_number(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high:,} ({why}; got {text!r})")
        return value
    return parse


#: seeds of the fixed-seed random weights: the unsigned 32-bit range numpy and most tools take
#: (torch's generator overflows past 2**64 with a traceback)
MAX_SEED = 2**32 - 1
seed_number = int_between(0, MAX_SEED, "a 32-bit seed")


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask, which a container or taskset narrows)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def thread_count(text: str) -> int:
    """ONNX Runtime threads: more than the CPUs there are would time the threads' contention, not the model."""
    cpus = usable_cpus()
    return int_between(1, cpus, f"the CPUs this machine lets benchgen use: {cpus}")(text)


def positive_float(text: str) -> float:
    """A finite number above zero: `nan` compares false with everything and `inf` never ends a budget."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number (got {text!r})") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number above 0, e.g. 20 (got {text!r})")
    return value


def budget_seconds(text: str) -> float:
    """A latency budget: finite, above 0, and from MIN_BUDGET_S to MAX_BUDGET_S, so no run is unbounded."""
    value = positive_float(text)
    if not MIN_BUDGET_S <= value <= MAX_BUDGET_S:
        raise argparse.ArgumentTypeError(f"must be from {MIN_BUDGET_S:g} to {MAX_BUDGET_S:g} seconds (an hour) of "
                                         f"timed runs per measurement, e.g. 20 (got {text!r})")
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


def readable_file(path: Path, option: str) -> Path:
    path = Path(path)
    if path.is_dir():
        raise BenchgenError(f"{option} {path}: is a directory, not a file; give the file")
    if not path.is_file():
        raise BenchgenError(f"{option} {path}: file not found; give an existing file")
    return path
