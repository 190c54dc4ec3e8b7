"""Get one file: the data directory's verified copy, a mirror's, or the official download.

A copy is accepted only when its sha256 is one the source publishes or the lock records. The one
exception is the first download from the official URL of a file whose source publishes no checksum
and whose lock holds nothing from that URL: its checksum is recorded (trust on first use) and the
fetch says so. Anything else is refused in one line and removed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pooch

from benchgen.atomic_files import reserve_temp_path
from benchgen.errors import BenchgenError
from benchgen.fetch.lock import Accepted, load_lock, lock_path, record
from benchgen.fetch.locations import Mirror, data_dir
from benchgen.fetch.transfer import Broken, NotThere, copy_into


class FetchError(BenchgenError):
    """A file could not be fetched or was refused."""


class MissingFile(BenchgenError):
    """A file the registry fetches is not here (refresh without --fetch): skipped, and grouped in one line."""

    def __init__(self, wanted: "Wanted"):
        super().__init__(f"{wanted.path} is not here (fetch it: `benchgen fetch {wanted.label}`, "
                         "or from a copy with --mirror URL|DIR)")
        self.wanted = wanted


@dataclass(frozen=True)
class Wanted:
    """One fetchable file: registry facts plus what asked for it (a variant or dataset id)."""

    path: str
    url: str | None  # None: no official download (a selection only mirrors hold)
    read_from: str
    label: str
    size: int | None = None
    sha256: str | None = None  # published by the source (or by a verified manifest)


@lru_cache(maxsize=256)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    return pooch.file_hash(path, alg="sha256")


def _memo(path: Path) -> Path:
    return path.with_name(f".{path.name}.sha256.json")


def sha256_of(path: Path) -> str:
    """The file's sha256; for a file fetched into the data directory, read from the note written when it was
    verified, while its size and mtime are unchanged (a refresh must not re-hash gigabytes of checkpoints)."""
    path = Path(path)
    stat = path.stat()
    try:
        memo = json.loads(_memo(path).read_text(encoding="utf-8"))
        if memo["size"] == stat.st_size and memo["mtime_ns"] == stat.st_mtime_ns:
            return memo["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return _sha256(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


def _remember(path: Path, digest: str) -> None:
    stat = path.stat()
    try:
        _memo(path).write_text(json.dumps({"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": digest}),
                               encoding="utf-8")
    except OSError:
        pass  # only a shortcut: without it the file is hashed again


def accepted(wanted: Wanted) -> dict[str, str]:
    """sha256 -> its source, for every copy of the file benchgen accepts."""
    found = {wanted.sha256: f"published by {wanted.read_from}"} if wanted.sha256 else {}
    for entry in load_lock().files.get(wanted.path, []):
        found.setdefault(entry.sha256, entry.source)
    return found


def _refusal(wanted: Wanted, digest: str, where: str, known: dict[str, str]) -> FetchError:
    sources = "; ".join(f"{sha[:12]}... from {src}" for sha, src in known.items())
    return FetchError(f"{wanted.path}: the copy from {where} has sha256 {digest}, which is none of the accepted "
                      f"checksums ({sources}) in {lock_path()}; refused and removed. If it is a legitimate re-export, "
                      "add it to the lock with its source; otherwise fetch from another mirror or the official URL")


def judge(wanted: Wanted, candidate: Path, where: str, official: bool) -> str | None:
    """Raise if the copy at `candidate` may not be used; returns a note when it was accepted on first use."""
    digest, size = sha256_of(candidate), candidate.stat().st_size
    known = accepted(wanted)
    if digest in known:
        return None
    from_official = [e for e in load_lock().files.get(wanted.path, []) if e.source == wanted.url]
    if official and not wanted.sha256 and not from_official:
        if wanted.size and size != wanted.size:
            raise FetchError(f"{wanted.path}: {where} gave {size:,} bytes, the source publishes {wanted.size:,}; "
                             "refused and removed (a broken or changed download); try again")
        record(wanted.path, Accepted(sha256=digest, size=size, source=wanted.url, how="first use",
                                     date=dt.datetime.now(dt.timezone.utc).date()))
        return (f"{wanted.path}: first download from its official URL; sha256 {digest} recorded in {lock_path()} "
                "(trust on first use: commit it with the results, every later fetch is checked against it)")
    if not known:
        raise FetchError(f"{wanted.path}: the copy from {where} cannot be checked: neither its source nor {lock_path()} "
                         f"gives a checksum, and only a download from the official URL {wanted.url} is trusted on "
                         "first use; refused and removed")
    raise _refusal(wanted, digest, where, known)


def local_copy(wanted: Wanted, mirrors: list[Mirror]) -> Path | None:
    """The data directory's copy, else a directory mirror's copy used in place, if its bytes are accepted.
    Opens no connection. A copy whose bytes are not accepted is an error, never skipped over silently."""
    candidates = [(data_dir() / wanted.path, f"the data directory {data_dir()}")]
    candidates += [(m.local_file(wanted.path), f"mirror {m.base} ({m.where})") for m in mirrors if not m.is_http]
    for path, where in candidates:
        if path is not None and path.is_file():
            known = accepted(wanted)
            digest = sha256_of(path)
            if digest not in known:
                if not known:
                    raise FetchError(f"{path}: {wanted.path} has no accepted checksum yet ({lock_path()}); fetch it "
                                     f"once from its official URL ({wanted.url or 'none: add its checksum to the lock'})"
                                     f" with `benchgen fetch {wanted.label}` to record one")
                raise _refusal(wanted, digest, where, known)
            return path
    return None


def fetch(wanted: Wanted, mirrors: list[Mirror], network: bool = True, progress: bool = True) -> Path:
    """The verified file in the data directory (copied there from the first mirror that has it, else
    from the official URL), or one line saying why not."""
    dest = data_dir() / wanted.path
    if dest.is_file():
        if sha256_of(dest) in accepted(wanted):
            return dest
        dest.unlink()  # the cache's copy is no longer accepted (the lock changed): fetched again
    _memo(dest).unlink(missing_ok=True)  # a note about a file no longer there
    tried = []
    sources = [(m.locate(wanted.path), f"mirror {m.locate(wanted.path)}", False) for m in mirrors]
    if network and wanted.url:
        sources.append((wanted.url, f"official URL {wanted.url}", True))
    for location, where, official in sources:
        tmp = reserve_temp_path(dest)
        try:
            if progress:
                print(f"benchgen: fetching {wanted.path} from {location}", file=sys.stderr, flush=True)
            copy_into(location, tmp, progress)
            note = judge(wanted, tmp, where, official)
            digest = sha256_of(tmp)
            os.replace(tmp, dest)
            _remember(dest, digest)
        except NotThere as exc:
            tried.append(f"not in {exc}")
            continue
        except Broken as exc:
            tried.append(str(exc))
            continue
        finally:
            tmp.unlink(missing_ok=True)
        if note:
            print(f"benchgen: {note}", file=sys.stderr, flush=True)
        return dest
    why = "; ".join(tried) if tried else "no mirror is set"
    if not wanted.url:
        raise FetchError(f"{wanted.path} ({wanted.label}): not fetched ({why}); it has no official download "
                         f"({wanted.read_from}), so give a copy with --mirror URL|DIR")
    if not network:
        raise FetchError(f"{wanted.path} ({wanted.label}): not fetched ({why}); its official URL is {wanted.url}; "
                         "fetch it with network access, or give a copy with --mirror URL|DIR")
    raise FetchError(f"{wanted.path} ({wanted.label}): could not be fetched ({why}); its official URL is {wanted.url}; "
                     "give a copy with --mirror URL|DIR (a directory or web server holding it at that relative path)")
