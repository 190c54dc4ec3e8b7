"""The one-time move of committed results from source-keyed to graph-keyed cache keys."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from benchgen.measure.backends.discovery import backend_fingerprint
from benchgen.refresh import migrate_keys
from benchgen.refresh.cache_key import cache_key
from benchgen.refresh.migrate_keys import legacy_material, migrate
from benchgen.refresh.plan import plan
from benchgen.registry import load_registry
from benchgen.results.store import write_result
from tests.conftest import MACHINE, make_result


@pytest.fixture
def damo(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCHGEN_CACHE_DIR", str(tmp_path / "cache"))
    registry = load_registry()
    family, variant = registry.variant("damo-yolo-t")
    return registry, family, variant


def _written(root, key, second=0):
    result = make_result("damo-yolo-t", "size", {"params_m": 8.5, "flops_g": 18.1},
                         when=dt.datetime(2026, 1, 1, 0, 0, second, tzinfo=dt.timezone.utc),
                         settings={"weights": "random (seed 0)", "onnx_sha256": "0123456789abcdef"})
    result.cache_key = key
    return write_result(result, root)


def test_a_result_with_the_legacy_key_gets_the_graph_key_and_nothing_else_changes(damo, tmp_path):
    registry, family, variant = damo
    fingerprint = backend_fingerprint("ort-cpu")
    legacy = cache_key("size", legacy_material(family, variant, 0), fingerprint, MACHINE.id)
    migrated = _written(tmp_path / "results", legacy)
    other = _written(tmp_path / "results", "0" * 24, second=1)
    before = migrated.read_text(), other.read_text()

    assert migrate(tmp_path / "results") == {"rewritten": 1, "already": 0, "other key": 1, "graph changed": 0,
                                             "not migrated": 0}
    job = next(j for j in plan(registry, [], {"ort-cpu": MACHINE.id}, only=["damo-yolo-t"], backends=["ort-cpu"])
               if j.kind == "size")
    assert migrated.read_text() == before[0].replace(legacy, job.key) and other.read_text() == before[1]
    # a second run finds nothing to do
    assert migrate(tmp_path / "results")["already"] == 1


def test_a_graph_that_changed_since_the_legacy_export_is_not_migrated(damo, tmp_path, monkeypatch):
    _, family, variant = damo
    legacy = cache_key("size", legacy_material(family, variant, 0), backend_fingerprint("ort-cpu"), MACHINE.id)
    path = _written(tmp_path / "results", legacy)
    graphs = json.loads(migrate_keys.LEGACY_GRAPHS_FILE.read_text())
    changed = tmp_path / "graphs.json"
    changed.write_text(json.dumps({**graphs, "damo-yolo-t": "another graph"}))
    monkeypatch.setattr(migrate_keys, "LEGACY_GRAPHS_FILE", changed)
    assert migrate(tmp_path / "results")["graph changed"] == 1 and legacy in path.read_text()
