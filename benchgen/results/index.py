"""Result headers, and the index that lets a large results tree be listed without reading every file.

Planning a refresh, finding a cell's history and summarising a machine read a few fields of every
result; only a handful of results (the newest of a cell, for the regression check and the pages)
are needed in full, with their details and raw samples. A `ResultHeader` is those few fields of a
`Result`, always taken from a validated `Result` (`ResultHeader.of`), plus where its file is;
`header.load()` reads the full `Result` when it is needed. `Result` stays the one definition of a
result: nothing here parses a result file except through `store.read_result`.

`load_headers(root)` lists the tree and reads only the files it has not seen: the headers of the
files it read are kept in an index in the cache directory (one per results directory, derived and
rebuildable: deleting it costs one full read). An index entry is used only while its file has the
same size, mtime, ctime and inode it had when it was read, so a changed, added or deleted file is
always read again (a result is written to a new file and renamed into place, so even a rewrite
gives a new inode); a file modified within SETTLE_NS of the listing is not indexed, so a change
in the same timestamp tick cannot hide either. The index is also dropped whole if it was written
by another benchgen or result schema, is corrupt (a checksum covers it), or belongs to another
directory. It is written atomically (temporary file and rename), so a reader never sees half of
one and two writers at once leave one of their indexes, each true of the tree it listed.
Trees of fewer than MIN_INDEXED_FILES results are read in full and get no index.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence, Union

import pydantic

import benchgen
from benchgen.errors import ResultsError
from benchgen.paths import DEFAULT_RESULTS_DIR, cache_root
from benchgen.results.schema import Machine, Result
from benchgen.results.store import atomic_write_text, bulk_loading, read_result

#: trees with fewer result files are read in full (a fraction of a second) and get no index file
MIN_INDEXED_FILES = 500
#: a file modified less than this before the listing is read but not indexed (coarse timestamps)
SETTLE_NS = 2_000_000_000
#: 2: headers of results dated in the future are no longer valid (their files are refused);
#: 3: the probe comes from the result schema 2's timing block; 4: headers carry the precision
INDEX_FORMAT = 4


@dataclass(slots=True)
class ResultHeader:
    """The fields of a `Result` that planning, histories and machine summaries read, without its
    details and settings. Made only from a validated `Result` (`of`); `load()` gives the full one.
    Treat it as read-only: it stands for a file."""

    variant: str
    kind: str
    status: str
    cache_key: str | None
    metrics: dict[str, float]
    machine: Machine
    date: dt.datetime
    git_commit: str | None
    #: timing.calibration.median_ms and .probe, where the result ran the calibration probe
    probe_ms: Any = None
    probe: str | None = None
    file: str | None = None  # the result's path (a str: a Path per header costs more than the rest of it)
    #: fp32 or int8: an INT8 figure never stands in an FP32 column's history
    precision: str = "fp32"
    _result: Result | None = field(default=None, compare=False, repr=False)

    @property
    def machine_id(self) -> str:
        return self.machine.id

    @property
    def path(self) -> Path | None:
        return Path(self.file) if self.file is not None else None

    @classmethod
    def of(cls, result: Result, path: Path | None = None, keep: bool = True) -> "ResultHeader":
        """The header of `result`; with `keep`, `load()` returns `result` itself instead of reading `path`."""
        calibration = result.timing.calibration if result.timing is not None else None
        probe_ms = calibration.median_ms if calibration is not None else None
        prov = result.provenance
        return cls(result.variant, result.kind, result.status, result.cache_key, result.metrics, prov.machine,
                   prov.date, prov.git_commit, probe_ms or None, calibration.probe if probe_ms else None,
                   str(path) if path is not None else None, precision=result.precision,
                   _result=result if keep else None)

    def _content(self) -> tuple:
        """What the file said, with the two values taken from its details compared as JSON (a NaN
        there would not equal itself)."""
        return (self.variant, self.kind, self.precision, self.status, self.cache_key, self.metrics, self.machine, self.date,
                self.git_commit, json.dumps([self.probe_ms, self.probe], sort_keys=True, default=str))

    def load(self) -> Result:
        """The full result (details, raw samples), read from its file the first time it is asked for."""
        if self._result is not None:
            return self._result
        result = read_result(self.path)
        if ResultHeader.of(result, self.file, keep=False)._content() != self._content():
            raise ResultsError(f"{self.path}: changed while benchgen was reading the results; run the command again")
        self._result = result
        return result


Results = Sequence[Union[Result, ResultHeader]]


def as_headers(results: Iterable[Result | ResultHeader]) -> list[ResultHeader]:
    """Headers of `results`, in their order: full results are wrapped (their `load()` returns them)."""
    return [r if isinstance(r, ResultHeader) else ResultHeader.of(r) for r in results]


def _listing(root: Path) -> list[tuple[tuple[str, str, str, str], os.DirEntry]]:
    """What `root.glob("*/*/*/*.json")` finds, as (relative parts, entry), without pathlib's cost."""
    found = []

    def dirs(path: str) -> list[os.DirEntry]:
        try:
            with os.scandir(path) as entries:
                return [e for e in entries if e.is_dir()]
        except (PermissionError, NotADirectoryError):
            return []

    for machine in dirs(str(root)):
        for variant in dirs(machine.path):
            for kind in dirs(variant.path):
                try:
                    with os.scandir(kind.path) as entries:
                        files = [e for e in entries if e.name.endswith(".json")]
                except PermissionError:
                    continue
                found.extend(((machine.name, variant.name, kind.name, e.name), e) for e in files)
    return found


def index_path(root: Path) -> Path:
    """The index file of results directory `root`, in the cache directory (BENCHGEN_CACHE_DIR)."""
    name = hashlib.sha256(str(Path(root).resolve()).encode()).hexdigest()[:16]
    return cache_root() / "results-index" / f"{name}.json"


def _fingerprint() -> str:
    """What decides whether a file validates and what its header holds: an index of another is void."""
    from benchgen import metrics
    from benchgen.registry import schema as registry_schema
    from benchgen.results import schema, store

    digest = hashlib.sha256(f"{INDEX_FORMAT}|{benchgen.__version__}|{pydantic.VERSION}".encode())
    for module in (schema, registry_schema, store, metrics, sys.modules[__name__]):
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:24]


def _signature(stat: os.stat_result) -> list[int]:
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]


def _read_index(path: Path, prefix: str, where: str, fingerprint: str) -> dict[str, tuple[list[int], ResultHeader]]:
    """relative path -> (signature, header) from the index at `path` of the results directory `where`
    (its files' paths start with `prefix`); empty where there is none usable."""
    try:
        raw = path.read_bytes()
        head, _, body = raw.partition(b"\n")
        meta = json.loads(head)
        if (meta.get("format") != INDEX_FORMAT or meta.get("fingerprint") != fingerprint
                or meta.get("root") != where or meta.get("sha256") != hashlib.sha256(body).hexdigest()):
            return {}
        data = json.loads(body)
        machines = [Machine.model_validate(m) for m in data["machines"]]
        cached = {}
        for rel, signature, variant, kind, status, key, metrics, machine, date, commit, probe_ms, probe, precision \
                in data["entries"]:
            cached[rel] = (signature, ResultHeader(variant, kind, status, key, metrics, machines[machine],
                                                   dt.datetime.fromisoformat(date), commit, probe_ms, probe,
                                                   prefix + rel, precision=precision))
        return cached
    except Exception:  # noqa: BLE001 - an unusable index is no index: every file is read
        return {}


def _machine_key(machine: Machine) -> tuple:
    return tuple(machine.__dict__.items())  # its fields are plain values


def _write_index(path: Path, where: str, fingerprint: str, entries: list[tuple[str, list[int], ResultHeader]]) -> None:
    machines: dict[tuple, int] = {}  # each distinct machine is written once
    machine_docs = []
    rows = []
    for rel, signature, h in entries:
        key = _machine_key(h.machine)
        if key not in machines:
            machines[key] = len(machine_docs)
            machine_docs.append(h.machine.model_dump(mode="json"))
        rows.append([rel, signature, h.variant, h.kind, h.status, h.cache_key, h.metrics, machines[key],
                     h.date.isoformat(), h.git_commit, h.probe_ms, h.probe, h.precision])
    try:
        body = json.dumps({"machines": machine_docs, "entries": rows}, separators=(",", ":"))
        meta = {"format": INDEX_FORMAT, "fingerprint": fingerprint, "root": where,
                "sha256": hashlib.sha256(body.encode()).hexdigest()}
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps(meta) + "\n" + body)
    except (OSError, ValueError, TypeError):
        pass  # e.g. a read-only cache directory: an index is only ever a shortcut, the next run reads the files


def load_headers(root: Path = DEFAULT_RESULTS_DIR) -> list[ResultHeader]:
    """The header of every result under `root`, oldest first, in the order `load_results` gives.

    Reads (and validates) only the files the index does not hold as they are now; a corrupt one
    raises ResultsError naming it, as `load_results` does."""
    root = Path(root)
    if not root.exists():
        return []
    with bulk_loading():
        return _load_headers(root)


def _load_headers(root: Path) -> list[ResultHeader]:
    started = time.time_ns()
    prefix = str(root / "x")[:-1]  # prefix + relative path == str(root / relative path), without a Path each
    listing = _listing(root)
    indexed = len(listing) >= MIN_INDEXED_FILES
    if indexed:
        fingerprint, index, where = _fingerprint(), index_path(root), str(root.resolve())
        cached = _read_index(index, prefix, where, fingerprint)
    else:
        cached = {}
    found: list[tuple[str, ResultHeader]] = []
    machines: dict[tuple, Machine] = {}
    keep: list[tuple[str, list[int], ResultHeader]] = []
    hits = fresh = 0  # entries taken from the index; entries the index does not have yet
    for parts, entry in listing:
        rel = "/".join(parts)
        try:
            signature = _signature(entry.stat())
        except FileNotFoundError:
            if not entry.is_symlink():
                continue  # deleted since the listing
            signature = None  # a dangling link: read_result says so, as load_results does
        except OSError:
            signature = None  # read_result says what is wrong with it
        hit = cached.get(rel)
        if hit is not None and hit[0] == signature:
            header = hit[1]
            hits += 1
            keep.append((rel, signature, header))  # settled when it was indexed, and unchanged since
        else:
            header = ResultHeader.of(read_result(prefix + rel), prefix + rel, keep=not indexed)
            if indexed:  # one Machine per machine, not one per file: less to keep, less for the GC to walk
                header.machine = machines.setdefault(_machine_key(header.machine), header.machine)
            if indexed and signature is not None and max(signature[1], signature[2]) < started - SETTLE_NS:
                keep.append((rel, signature, header))
                fresh += 1
        found.append(("\0".join(parts), header))  # sorts as the parts do
    if indexed and (fresh or hits != len(cached)):
        _write_index(index, where, fingerprint, keep)
    found.sort(key=lambda item: item[0])  # the order of sorted(root.glob(...)), then by date
    return sorted((header for _, header in found), key=lambda h: h.date)
