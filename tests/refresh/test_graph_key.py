"""A measurement is keyed on the graph it measured, not on the code that exported it (benchgen.refresh.cache_key)."""

from __future__ import annotations

import pytest

from benchgen.refresh.plan import plan
from benchgen.registry import load_registry
from tests.models import fake_family
from tests.refresh.test_plan import _fresh

MACHINES = {"ort-cpu": "cpu-test-refresh"}


@pytest.fixture
def fakenet(tiny_project, tmp_path, monkeypatch):
    package = fake_family.install(tmp_path / "plugins", monkeypatch)
    yield load_registry(fake_family.registry_dir(tmp_path / "registry")), package
    fake_family.forget()


def _plan(registry, results=()):
    return plan(registry, list(results), MACHINES, only=["fakenet-s"], backends=["ort-cpu"])


def _edit(package, old, new):
    net = package / "net.py"
    assert old in net.read_text()
    net.write_text(net.read_text().replace(old, new))
    fake_family.forget()


def test_a_comment_in_the_model_code_makes_nothing_stale(fakenet, tmp_path):
    registry, package = fakenet
    jobs = _plan(registry)
    assert [j.kind for j in jobs] == ["size", "latency-cpu"] and all(j.stale for j in jobs)
    exports = sorted((tmp_path / "cache" / "onnx").glob("*.onnx"))
    results = [_fresh(j) for j in jobs]

    _edit(package, "# an exported constant", "# an exported constant, documented some more")
    again = _plan(registry, results)
    assert [(j.stale, j.reason) for j in again] == [(False, "up to date")] * 2
    # the export cache keys on the source: the edit cost a re-export, not a re-measurement
    assert len(sorted((tmp_path / "cache" / "onnx").glob("*.onnx"))) == len(exports) + 1


def test_an_exported_constant_makes_the_figures_stale(fakenet):
    registry, package = fakenet
    results = [_fresh(j) for j in _plan(registry)]
    _edit(package, "SCALE = 2.0", "SCALE = 3.0")
    again = _plan(registry, results)
    assert [(j.stale, j.reason) for j in again] == [(True, "inputs changed or last attempt failed")] * 2


def test_another_weights_seed_makes_the_figures_stale(fakenet):
    registry, _ = fakenet
    results = [_fresh(j) for j in _plan(registry)]
    again = plan(registry, results, MACHINES, only=["fakenet-s"], backends=["ort-cpu"], seed=1)
    assert all(j.stale for j in again)


def test_a_failing_export_is_planned_to_fail_and_be_recorded(fakenet, tmp_path):
    registry, _ = fakenet
    broken = tmp_path / "broken.pth"
    broken.write_bytes(b"not a checkpoint")
    (tmp_path / "weights").mkdir()
    broken.rename(tmp_path / "weights" / "fakenet_s.pth")
    variant = registry.variant("fakenet-s")[1]
    registry_checkpoint = variant.model_copy(update={"checkpoint": "fakenet_s.pth"})
    family = registry.variant("fakenet-s")[0]
    family.variants[family.variants.index(variant)] = registry_checkpoint
    jobs = plan(registry, [], MACHINES, only=["fakenet-s"], backends=["ort-cpu"], weights_dir=tmp_path / "weights")
    assert [j.kind for j in jobs] == ["size", "latency-cpu"]
    assert all(j.stale and not j.unavailable and "exporting fakenet-s failed: CheckpointError" in j.reason
               for j in jobs)
