"""The results index: headers from it are always those of a full read of the tree as it is now."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import threading

import pytest

from benchgen.errors import ResultsError
from benchgen.render.pages import SiteRenderer
from benchgen.results import index, store
from benchgen.results.index import ResultHeader, as_headers, index_path, load_headers
from benchgen.results.merge import build_table, machines
from benchgen.results.store import atomic_write_text, load_results, result_path, write_result
from tests.conftest import make_result, make_timing

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


@pytest.fixture
def indexed(tmp_path, monkeypatch):
    """Every tree gets an index (not only large ones), kept in this test's own cache directory."""
    monkeypatch.setenv("BENCHGEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(index, "MIN_INDEXED_FILES", 0)
    monkeypatch.setattr(index, "SETTLE_NS", 0)  # files this test has just written may be indexed
    return tmp_path / "results"


@pytest.fixture
def reads(monkeypatch):
    """The result files read since the last `reads.clear()`."""
    seen: list[str] = []
    real = store.read_result

    def counting(path):
        seen.append(str(path))
        return real(path)

    monkeypatch.setattr(index, "read_result", counting)
    return seen


def latency(variant: str, ms: float, day: int, **kw):
    result = make_result(variant, "latency-cpu", {"latency_cpu_ms": ms}, when=T0 + dt.timedelta(days=day), **kw)
    result.timing = make_timing(ms, ms * 0.99, ms * 1.01, samples=[ms * (1 + 0.001 * i) for i in range(50)],
                                probe_ms=5.0 + day)
    return result


def build_tree(root):
    """Histories of a few cells, a failure, two results of one date (path order decides), and
    variant ids that sort differently as paths and as strings ("alpha-s" and "alpha-s-2")."""
    results = [latency("alpha-s", 10.0 + d, d) for d in range(3)]
    results += [latency("alpha-s-2", 11.0, 1), latency("beta-s", 20.0, 1)]
    results += [make_result("alpha-s", "accuracy", {"map50_95": 39.5}, when=T0 + dt.timedelta(days=1)),
                make_result("alpha-s", "size", {"params_m": 10.0, "flops_g": 20.0}, when=T0),
                make_result("beta-s", "latency-cpu", {}, when=T0 + dt.timedelta(days=4), status="failed",
                            error="out of memory")]
    return [write_result(r, root) for r in results]


def without_file(header: ResultHeader) -> ResultHeader:
    return dataclasses.replace(header, file=None, _result=None)


def assert_same_as_full_read(root, reads=None):
    """load_headers gives, in the same order, the headers of exactly what load_results reads.
    With `reads`, it is left holding the files the listing read (not those `load()` read after)."""
    if reads is not None:
        reads.clear()
    headers, full = load_headers(root), load_results(root)
    listed = list(reads) if reads is not None else []
    assert [without_file(h) for h in headers] == [without_file(h) for h in as_headers(full)]
    assert [h.load() for h in headers] == full
    if reads is not None:
        reads[:] = listed
    return headers


def test_headers_are_those_of_a_full_read_and_a_second_listing_reads_nothing(indexed, reads):
    build_tree(indexed)
    first = assert_same_as_full_read(indexed, reads)
    assert len(reads) == len(first) and index_path(indexed).is_file()
    reads.clear()
    again = load_headers(indexed)
    assert reads == [] and again == first
    assert [h.probe_ms for h in again if h.kind == "latency-cpu" and h.status == "ok"] == [5.0, 6.0, 6.0, 6.0, 7.0]


def test_a_changed_file_is_read_again(indexed, reads):
    paths = build_tree(indexed)
    load_headers(indexed)
    changed = latency("alpha-s", 99.0, 2)  # the same date: the same path, rewritten by rename
    assert result_path(indexed, changed) == paths[2]
    atomic_write_text(paths[2], changed.model_dump_json(indent=2) + "\n")
    headers = assert_same_as_full_read(indexed, reads)
    assert reads == [str(paths[2])]
    assert [h.metrics for h in headers if h.file == str(paths[2])] == [{"latency_cpu_ms": 99.0}]


def test_a_file_rewritten_in_place_with_its_old_size_and_mtime_is_read_again(indexed, reads):
    paths = build_tree(indexed)
    load_headers(indexed)
    text = paths[0].read_text()
    stat = paths[0].stat()
    edited = text.replace('"latency_cpu_ms": 10.0', '"latency_cpu_ms": 19.0')
    assert len(edited) == len(text) and edited != text
    with open(paths[0], "r+", encoding="utf-8") as handle:  # same inode, same size
        handle.write(edited)
    os.utime(paths[0], ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and the old mtime: only the ctime moved
    headers = assert_same_as_full_read(indexed, reads)
    assert reads and headers[0].metrics == {"latency_cpu_ms": 19.0}


def test_an_added_file_is_read_and_a_deleted_one_is_gone(indexed, reads):
    paths = build_tree(indexed)
    load_headers(indexed)
    added = write_result(latency("beta-s", 21.0, 5), indexed)
    paths[1].unlink()
    headers = assert_same_as_full_read(indexed, reads)
    assert reads == [str(added)]
    files = {h.file for h in headers}
    assert str(added) in files and str(paths[1]) not in files
    reads.clear()
    load_headers(indexed)
    assert reads == []  # the index was rewritten with both changes


@pytest.mark.parametrize("content", ["{ not json", '{"schema_version": 1, "variant": "alpha-s"}'])
def test_a_corrupted_file_raises_naming_it_though_its_valid_version_was_indexed(indexed, content):
    paths = build_tree(indexed)
    load_headers(indexed)
    paths[3].write_text(content)
    with pytest.raises(ResultsError, match=paths[3].name) as raised:
        load_headers(indexed)
    with pytest.raises(ResultsError) as full:
        load_results(indexed)
    assert str(raised.value) == str(full.value)


def test_a_new_corrupt_file_raises_naming_it(indexed):
    build_tree(indexed)
    load_headers(indexed)
    bad = indexed / "cpu-test-2c" / "alpha-s" / "size" / "x.json"
    bad.write_text("[1, 2")
    with pytest.raises(ResultsError, match="x.json"):
        load_headers(indexed)


@pytest.mark.parametrize("damage", ["missing", "garbage", "truncated", "edited", "other-benchgen", "other-root"])
def test_a_missing_or_corrupt_index_is_rebuilt_from_the_files(indexed, reads, damage):
    build_tree(indexed)
    first = load_headers(indexed)
    path = index_path(indexed)
    raw = path.read_bytes()
    if damage == "missing":
        path.unlink()
    elif damage == "garbage":
        path.write_bytes(b"\x00\xff not an index")
    elif damage == "truncated":
        path.write_bytes(raw[: len(raw) // 2])
    elif damage == "edited":  # valid JSON, a changed figure: the checksum no longer matches
        path.write_bytes(raw.replace(b'{"latency_cpu_ms":10.0}', b'{"latency_cpu_ms":1.0}'))
        assert path.read_bytes() != raw
    else:
        head, _, body = raw.partition(b"\n")
        meta = json.loads(head)
        meta["fingerprint" if damage == "other-benchgen" else "root"] = "something else"
        path.write_bytes(json.dumps(meta).encode() + b"\n" + body)
    assert assert_same_as_full_read(indexed, reads) == first
    assert len(reads) == len(first)
    reads.clear()
    load_headers(indexed)
    assert reads == []  # rebuilt


def test_a_file_modified_just_before_the_listing_is_not_indexed(indexed, reads, monkeypatch):
    build_tree(indexed)
    monkeypatch.setattr(index, "SETTLE_NS", 3600 * 10**9)  # everything is "just modified"
    load_headers(indexed)
    reads.clear()
    load_headers(indexed)
    assert len(reads) == 8  # read again: a change within its timestamp's tick could otherwise hide


def test_small_trees_get_no_index(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCHGEN_CACHE_DIR", str(tmp_path / "cache"))
    build_tree(tmp_path / "results")
    headers = assert_same_as_full_read(tmp_path / "results")
    assert len(headers) == 8 and not (tmp_path / "cache").exists()
    assert load_headers(tmp_path / "missing") == []


def test_a_file_changed_after_the_listing_is_not_served_as_the_listed_one(indexed):
    paths = build_tree(indexed)
    headers = load_headers(indexed)
    atomic_write_text(paths[0], latency("alpha-s", 55.0, 0).model_dump_json())
    with pytest.raises(ResultsError, match="changed while benchgen was reading"):
        next(h for h in headers if h.file == str(paths[0])).load()


def test_a_nan_in_the_details_survives_the_index(indexed, reads):
    """json.loads reads NaN in a file's details (pydantic writes null there, a person may not); in the
    typed timing block, whose probe the header carries, a NaN is refused with the file's name."""
    build_tree(indexed)
    path = indexed / "cpu-test-2c" / "beta-s" / "latency-cpu" / "20260110T000000000000Z.json"
    data = json.loads(latency("beta-s", 20.0, 9).model_dump_json())
    data["details"]["contention"] = {"waited_s": float("nan")}
    path.write_text(json.dumps(data))
    load_headers(indexed)
    reads.clear()
    [header] = [h for h in load_headers(indexed) if h.file == str(path)]
    assert reads == [] and header.probe_ms == 14.0  # from the index
    loaded = header.load().details["contention"]["waited_s"]
    assert loaded != loaded  # still NaN
    data["timing"]["calibration"]["median_ms"] = float("nan")
    path.write_text(json.dumps(data))
    with pytest.raises(ResultsError, match=f"{path.name}.*timing.calibration.median_ms"):
        load_headers(indexed)


def test_an_index_written_while_others_read_it_is_always_whole(indexed):
    build_tree(indexed)
    expected = load_headers(indexed)
    seen, errors = [], []

    def writer():
        try:
            for _ in range(30):
                index_path(indexed).unlink(missing_ok=True)
                load_headers(indexed)  # reads every file and writes the index again
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    def reader():
        try:
            for _ in range(60):
                cached = index._read_index(index_path(indexed), str(indexed) + "/", str(indexed.resolve()),
                                           index._fingerprint())
                seen.append(len(cached))
                assert load_headers(indexed) == expected
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer), threading.Thread(target=writer), threading.Thread(target=reader)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert set(seen) <= {0, len(expected)}  # no index, or all of it: never half a file
    assert not [p for p in index_path(indexed).parent.iterdir() if p.name.endswith(".tmp")]


def test_tables_and_pages_from_headers_are_those_from_full_results(indexed, make_registry):
    build_tree(indexed)
    registry = make_registry()
    headers, full = load_headers(indexed), load_results(indexed)
    assert machines(headers) == machines(full)
    for machine in [None, *machines(full)]:
        a, b = build_table(registry, headers, machine), build_table(registry, full, machine)
        assert a.summary == b.summary and a.summary is not None or machine is None
        assert [[(c.measured, c.previous, c.failure) for c in row.cells.values()] for row in a.rows] == \
            [[(c.measured, c.previous, c.failure) for c in row.cells.values()] for row in b.rows]
    now = dt.datetime(2026, 2, 1, tzinfo=dt.timezone.utc)
    assert SiteRenderer(registry, headers, now=now).files() == SiteRenderer(registry, full, now=now).files()


def test_a_dangling_link_fails_as_in_a_full_read(indexed):
    build_tree(indexed)
    link = indexed / "cpu-test-2c" / "alpha-s" / "size" / "gone.json"
    link.symlink_to(indexed / "nowhere.json")
    with pytest.raises(FileNotFoundError):
        load_results(indexed)
    with pytest.raises(FileNotFoundError):
        load_headers(indexed)
