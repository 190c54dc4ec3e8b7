"""Results on disk: `results/<machine>/<variant>/<kind>/<UTC timestamp>.json`.

Every measurement gets its own file and none is ever overwritten, which is what makes history and
resume-after-kill work: a killed run loses only the measurement in flight. Files are written to a
temporary name in the same directory and renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import gc
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import ValidationError
from pydantic_core import from_json

from benchgen.atomic_files import reserve_temp_path
from benchgen.errors import ResultsError
from benchgen.paths import DEFAULT_RESULTS_DIR
from benchgen import __version__
from benchgen.results.schema import SCHEMA_VERSION, Result
from benchgen.schema_errors import one_line



def atomic_write_text(path: Path, text: str) -> None:
    tmp = reserve_temp_path(path)
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def result_path(root: Path, result: Result) -> Path:
    stamp = result.provenance.date.strftime("%Y%m%dT%H%M%S%fZ")
    suffix = "" if result.precision == "fp32" else f"-{result.precision}"
    return Path(root) / result.provenance.machine.id / result.variant / result.kind / f"{stamp}{suffix}.json"


def write_result(result: Result, root: Path = DEFAULT_RESULTS_DIR) -> Path:
    path = result_path(root, result)
    atomic_write_text(path, result.model_dump_json(indent=2) + "\n")
    return path


def read_result(path: Path) -> Result:
    try:
        with open(path, encoding="utf-8") as handle:
            data = parse_json(handle.read())
        _check_version(path, data)
        return Result.model_validate(data)
    except ValidationError as exc:
        raise ResultsError(one_line(exc, path, Result, RESULT_FIX)) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ResultsError(f"{path}: not a valid benchgen result ({exc.__class__.__name__}: {exc}); "
                           f"{RESULT_FIX}") from None


#: what to do about a result file benchgen cannot read: it is written by benchgen, never by hand
RESULT_FIX = "delete it or re-run the measurement"


def parse_json(text: str):
    """`json.loads(text)`, by pydantic-core's parser where it can: a third faster on a latency
    result's samples, and it builds the same objects. What it rejects goes to json.loads, whose
    answer (the value, or the error a ResultsError quotes) is the reference."""
    try:
        return from_json(text, cache_strings="keys")
    except ValueError:
        return json.loads(text)


def _check_version(path: Path, data: object) -> None:
    """A file from a newer benchgen is valid data this one cannot read: deleting it would lose it."""
    version = data.get("schema_version") if isinstance(data, dict) else None
    if isinstance(version, int) and not isinstance(version, bool) and version > SCHEMA_VERSION:
        raise ResultsError(f"{path}: written by a newer benchgen (result schema_version {version}; this benchgen "
                           f"{__version__} reads version {SCHEMA_VERSION}); upgrade benchgen to read it")


@contextmanager
def bulk_loading() -> Iterator[None]:
    """No cyclic garbage collection while many results are parsed: what parsing makes holds no
    cycles, and every collection would walk everything already loaded (a third of the time of
    listing 60,000 results)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_results(root: Path = DEFAULT_RESULTS_DIR) -> list[Result]:
    """All results under `root`, oldest first. Temporary files of interrupted writes are ignored."""
    root = Path(root)
    if not root.exists():
        return []
    with bulk_loading():
        results = [read_result(p) for p in sorted(root.glob("*/*/*/*.json"))]
    return sorted(results, key=lambda r: r.provenance.date)
