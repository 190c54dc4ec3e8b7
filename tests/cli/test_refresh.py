"""Which backends `benchgen refresh` measures with on this machine, with a fake CUDA device."""

from __future__ import annotations

import pytest
from rich.console import Console

from benchgen.cli.refresh import available_backends
from benchgen.errors import BackendUnavailable
from benchgen.measure.timing import latency_torch, torch_device
from benchgen.results.provenance import current_machine
from tests.conftest import MACHINE


@pytest.fixture
def console():
    return Console(stderr=False, record=True, width=200)


def test_torch_cuda_is_picked_when_pytorch_sees_a_cuda_device(monkeypatch, console):
    gpu = MACHINE.model_copy(update={"id": "gpu-nvidia-h100-80gb-hbm3", "gpu": "NVIDIA H100 80GB HBM3"})
    monkeypatch.setattr(latency_torch, "torch_fingerprint", lambda: {"backend": "torch-cuda", "gpu": gpu.gpu})
    monkeypatch.setattr(latency_torch, "torch_gpu_machine", lambda: gpu)
    machines = available_backends(["ort-cpu", "torch-cuda"], console)
    assert machines == {"ort-cpu": current_machine().id, "torch-cuda": "gpu-nvidia-h100-80gb-hbm3"}


def test_without_cuda_torch_cuda_is_skipped_with_its_reason(monkeypatch, console):
    monkeypatch.setattr(torch_device, "nvidia_device_present", lambda: False)
    machines = available_backends(None, console)
    assert "torch-cuda" not in machines and "ort-cpu" in machines
    assert "skipping torch-cuda: torch-cuda needs an NVIDIA GPU" in console.export_text()


def test_asking_for_torch_cuda_without_cuda_is_an_error(monkeypatch, console):
    monkeypatch.setattr(torch_device, "nvidia_device_present", lambda: False)
    with pytest.raises(BackendUnavailable, match="torch-cuda needs an NVIDIA GPU"):
        available_backends(["torch-cuda"], console)


def test_variants_skipped_for_one_reason_are_one_line():
    from types import SimpleNamespace

    from benchgen.cli.refresh import skipped_lines

    def job(variant_id, reason, unavailable=True):
        return SimpleNamespace(variant=SimpleNamespace(id=variant_id), reason=reason, unavailable=unavailable)

    hint = "not measurable here: the ultralytics provider is not installed here; install it with `make x`"
    jobs = [job(f"yolo11-{s}", hint) for s in "nsmlx" for _ in ("size", "latency-cpu")]
    jobs += [job("tiny", "not measurable here: missing.onnx"), job("ok-one", "stale", unavailable=False)]
    lines = skipped_lines(jobs)
    assert lines == [f"skipping 5 variants (yolo11-n, yolo11-s, yolo11-m, yolo11-l, yolo11-x): {hint}",
                     "skipping tiny: not measurable here: missing.onnx"]
    assert sum(line.count("make x") for line in lines) == 1  # the install hint once
