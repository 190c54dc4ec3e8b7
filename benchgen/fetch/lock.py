"""The fetch lock: every checksum benchgen accepts for a fetched file, each with where it came from.

Most releases publish no checksum, so the first verified download from the official URL records its
sha256 here (trust on first use) and every later fetch, on any machine, must match a recorded one.
A file can have several accepted copies (the official release and a re-export, byte-different but
the same weights), each recorded with its own source. The file is committed beside the results, so a
result's weights can be traced to a source. Copies from mirrors are never recorded on first use: a
mirror must hold bytes someone accepted already.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from benchgen.atomic_files import reserve_temp_path
from benchgen.errors import BenchgenError
from benchgen.paths import project_root
from benchgen.schema_errors import one_line

LOCK_ENV = "BENCHGEN_FETCH_LOCK"


class Accepted(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(gt=0)
    source: str = Field(min_length=1, description="where these bytes come from: a URL, or repository, file and commit")
    how: str = Field(description="'published' (by the source), 'first use' (the first verified download from the "
                                 "official URL) or 'recorded' (a known re-export, entered with its source)")
    date: dt.date


class LockFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: int = 1
    files: dict[str, list[Accepted]] = Field(default_factory=dict, description="relative path -> accepted copies")


def lock_path() -> Path:
    env = os.environ.get(LOCK_ENV)
    return Path(env).resolve() if env else project_root() / "results" / "fetch-lock.json"


def load_lock(path: Path | None = None) -> LockFile:
    path = path or lock_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return LockFile()
    try:
        return LockFile.model_validate(json.loads(text))
    except json.JSONDecodeError as exc:
        raise BenchgenError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno}); restore it from git") from None
    except ValidationError as exc:
        raise BenchgenError(one_line(exc, path, LockFile, "restore the file from git")) from None


def save_lock(lock: LockFile, path: Path | None = None) -> None:
    path = path or lock_path()
    tmp = reserve_temp_path(path)
    try:
        data = lock.model_dump(mode="json")
        data["files"] = {k: data["files"][k] for k in sorted(data["files"])}
        tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def record(relative: str, entry: Accepted, path: Path | None = None) -> None:
    """Add one accepted copy, re-reading the lock first so that concurrent fetches do not drop entries."""
    lock = load_lock(path)
    entries = lock.files.setdefault(relative, [])
    if all(e.sha256 != entry.sha256 for e in entries):
        entries.append(entry)
        save_lock(lock, path)


def merge_locks(paths: list[Path], into: Path) -> int:
    """Add every accepted copy the given lock files record to `into` (the refresh workflow's shards
    each fetch on their own runner, so each may have recorded a first use). Returns how many were new."""
    added = 0
    for path in paths:
        for relative, entries in load_lock(path).files.items():
            for entry in entries:
                before = len(load_lock(into).files.get(relative, []))
                record(relative, entry, into)
                added += len(load_lock(into).files.get(relative, [])) - before
    return added


if __name__ == "__main__":  # python -m benchgen.fetch.lock INTO OTHER...: the workflow's merge step
    import sys

    try:
        count = merge_locks([Path(p) for p in sys.argv[2:]], Path(sys.argv[1]))
    except (BenchgenError, IndexError) as exc:
        print(f"benchgen.fetch.lock: {exc or 'usage: python -m benchgen.fetch.lock INTO OTHER...'}", file=sys.stderr)
        sys.exit(2)
    print(f"{count} accepted checksum(s) added to {sys.argv[1]}")
