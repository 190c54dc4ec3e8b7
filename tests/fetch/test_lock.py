"""The fetch lock: schema checked in one line, entries merged across the workflow's shards."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from benchgen.errors import BenchgenError
from benchgen.fetch.lock import Accepted, load_lock, merge_locks, record


def entry(sha: str, source: str) -> Accepted:
    return Accepted(sha256=sha * 64, size=10, source=source, how="first use", date=dt.date(2026, 12, 7))


def test_shard_locks_merge_without_duplicates(tmp_path):
    main, a, b = tmp_path / "main.json", tmp_path / "a.json", tmp_path / "b.json"
    record("models/x.onnx", entry("1", "https://example.org/x.onnx"), main)
    record("models/x.onnx", entry("1", "https://example.org/x.onnx"), a)
    record("models/y.pt", entry("2", "https://example.org/y.pt"), a)
    record("models/x.onnx", entry("3", "a re-export"), b)
    assert merge_locks([a, b], main) == 2
    files = load_lock(main).files
    assert [e.sha256[0] for e in files["models/x.onnx"]] == ["1", "3"] and len(files["models/y.pt"]) == 1
    assert merge_locks([a, b], main) == 0


def test_a_broken_lock_is_one_line(tmp_path):
    path = tmp_path / "lock.json"
    path.write_text(json.dumps({"schema_version": 1, "files": {"x": [{"sha256": "nothex"}]}}))
    with pytest.raises(BenchgenError, match="lock.json") as info:
        load_lock(path)
    assert "\n" not in str(info.value)
