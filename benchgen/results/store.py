"""Results on disk: `results/<machine>/<variant>/<kind>/<UTC timestamp>.json`.

Every measurement gets its own file and none is ever overwritten, which is what makes history and
resume-after-kill work: a killed run loses only the measurement in flight. Files are written to a
temporary name in the same directory and renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from pydantic import ValidationError

from benchgen.atomic_files import reserve_temp_path
from benchgen.errors import ResultsError
from benchgen.results.schema import Result

DEFAULT_RESULTS_DIR = Path("results")


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
    return Path(root) / result.provenance.machine.id / result.variant / result.kind / f"{stamp}.json"


def write_result(result: Result, root: Path = DEFAULT_RESULTS_DIR) -> Path:
    path = result_path(root, result)
    atomic_write_text(path, result.model_dump_json(indent=2) + "\n")
    return path


def read_result(path: Path) -> Result:
    try:
        return Result.model_validate(json.loads(Path(path).read_text(encoding="utf-8")))
    except (json.JSONDecodeError, ValidationError, UnicodeDecodeError) as exc:
        raise ResultsError(f"{path}: not a valid benchgen result ({exc.__class__.__name__}: {exc}); "
                           "delete it or re-run the measurement") from None


def load_results(root: Path = DEFAULT_RESULTS_DIR) -> list[Result]:
    """All results under `root`, oldest first. Temporary files of interrupted writes are ignored."""
    root = Path(root)
    if not root.exists():
        return []
    results = [read_result(p) for p in sorted(root.glob("*/*/*/*.json"))]
    return sorted(results, key=lambda r: r.provenance.date)
