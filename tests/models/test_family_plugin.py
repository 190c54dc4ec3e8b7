"""A new implementation family is its package and its registry data: followed here through export,
checkpoint detection, size and latency without an edit of any shared file."""

from __future__ import annotations

import pytest
import torch

from benchgen.errors import CheckpointError
from benchgen.measure.timing.latency_cpu import measure_cpu_latency
from benchgen.measure.timing.latency_torch import measure_torch_latency
from benchgen.measure.graph.model_files import export_identity, resolve_model
from benchgen.measure.graph.size import measure_size
from benchgen.measure.timing.torch_device import CpuDevice
from benchgen.models import implementation
from benchgen.models.checkpoint_io import looks_like
from benchgen.models.family import families
from benchgen.models.source_hash import implementation_source_hash
from benchgen.registry import load_registry
from tests.models import fake_family


@pytest.fixture
def fakenet(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCHGEN_CACHE_DIR", str(tmp_path / "cache"))
    fake_family.install(tmp_path / "plugins", monkeypatch)
    yield load_registry(fake_family.registry_dir(tmp_path / "registry"))
    fake_family.forget()


def test_the_family_is_discovered_from_its_package(fakenet):
    declared = families()["fakenet"]
    assert declared.package == "benchgen.models.fakenet" and declared.checkpoint.name == "FakeNet"
    assert {"damo-yolo", "rtdetrv2", "dfine"} <= set(families())
    assert implementation("fakenet").VARIANTS == {"fakenet-s": 8, "fakenet-m": 16}
    assert len(implementation_source_hash("fakenet")) == 16


def test_export_size_and_latency(fakenet):
    model = resolve_model("fakenet-s", registry=fakenet)
    assert model.origin == "export" and model.onnx_path.is_file()
    identity = export_identity(*fakenet.variant("fakenet-s"), None, 0)
    assert identity["sha256"] == model.onnx_sha256 and len(identity["graph"]) == 64

    size = measure_size("fakenet-s", registry=fakenet)
    torch_params = sum(p.numel() for p in implementation("fakenet").build_model("fakenet-s").parameters())
    assert size.status == "ok" and size.details["params"] == torch_params
    assert size.details["macs"] > 0

    cpu = measure_cpu_latency("fakenet-s", budget_s=0.2, threads=1, registry=fakenet)
    assert cpu.status in ("ok", "unstable") and cpu.metrics["latency_cpu_ms"] > 0

    timed = measure_torch_latency("fakenet-m", registry=fakenet, device=CpuDevice(), input_size=32, budget_s=0.2,
                                  min_runs=5, warmup_min_runs=1, warmup_min_s=0.0)
    assert timed.metrics["latency_torch_cuda_ms"] > 0


def test_its_checkpoints_are_recognised_and_checked(fakenet, tmp_path):
    net = implementation("fakenet")
    state = net.build_model("fakenet-s").state_dict()
    assert looks_like(state) == "FakeNet" and looks_like({"model": state}) == "FakeNet"
    path = tmp_path / "fakenet_s.pth"
    torch.save(state, path)
    net.load_checkpoint(net.build_model("fakenet-s"), path)  # its own size loads
    with pytest.raises(CheckpointError, match="shape mismatches"):
        net.load_checkpoint(net.build_model("fakenet-m"), path)
    from benchgen.models.damoyolo import build_model, load_checkpoint

    with pytest.raises(CheckpointError, match="looks like a FakeNet checkpoint"):
        load_checkpoint(build_model("damo-yolo-t"), path)
    # weights from a checkpoint go into the export and its key
    with_weights = resolve_model("fakenet-s", weights=path, registry=fakenet)
    assert with_weights.weights == path and with_weights.onnx_path != resolve_model("fakenet-s", registry=fakenet).onnx_path


def test_a_broken_family_package_is_named(fakenet):
    from benchgen.errors import BenchgenError
    from benchgen.models.family import forget_families

    init = next(p for p in families()["fakenet"].builder_module().__path__) + "/__init__.py"
    with open(init, "a") as handle:
        handle.write("raise RuntimeError('boom')\n")
    fake_family.forget()
    with pytest.raises(BenchgenError, match=r"benchgen.models.fakenet .*failed to import: RuntimeError: boom"):
        families()
    forget_families()
