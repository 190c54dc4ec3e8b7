"""The torch-cuda latency path, run on the CPU through the device seam (no GPU needed, no timed assertions)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from benchgen.errors import BackendUnavailable, BenchgenError
from benchgen.measure.timing import latency_torch, torch_device
from benchgen.measure.timing.gpu_clocks import ClockSample
from benchgen.measure.timing.stats import StoppingRule
from benchgen.measure.timing.latency_torch import measure_torch_latency, time_module
from benchgen.measure.timing.torch_device import CpuDevice, find_cuda
from benchgen.results.provenance import current_machine
from benchgen.results.schema import Result

FAST = {"budget_s": 0.5, "min_runs": 10, "warmup_min_runs": 2, "warmup_min_s": 0.0}


class Tiny(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.calls = 0

    def forward(self, x: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return self.conv(x).sigmoid() * scale.to(x.dtype)


def tiny_inputs():
    return torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(0)), torch.tensor([2], dtype=torch.int64)


class GraphDevice(CpuDevice):
    """A CPU device that pretends to capture graphs and reads a fixed 'GPU time', like the CUDA one."""

    supports_graphs = True

    def __init__(self, ns: int = 1_000_000) -> None:
        super().__init__()
        self.ns, self.captured, self.replays = ns, 0, 0

    def capture(self, call):
        self.captured += 1
        call()

        def replay():
            self.replays += 1

        return replay

    def time(self, call) -> int:
        call()
        return self.ns


class FakeMonitor:
    available, note = True, None

    def __init__(self, reasons_after: int = 0) -> None:
        self.reasons_after, self.labels = reasons_after, []

    def sample(self, label):
        self.labels.append(label)
        reasons = self.reasons_after if label == "after" else 0
        return ClockSample(label=label, sm_mhz=1980, max_sm_mhz=1980, reasons=reasons, temperature_c=70)

    def driver(self):
        return "570.86.15"


def test_cpu_device_places_floats_in_fp32_and_keeps_integers():
    module, (x, scale) = CpuDevice().place(Tiny().half(), (tiny_inputs()[0].half(), tiny_inputs()[1]))
    assert module.conv.weight.dtype == torch.float32 and x.dtype == torch.float32 and scale.dtype == torch.int64


def test_the_same_path_times_a_tiny_module_on_the_cpu():
    device = CpuDevice()
    module, inputs = device.place(Tiny(), tiny_inputs())
    timing = time_module(module, inputs, device, StoppingRule(budget_s=2.0, min_runs=20), warmup_min_runs=3,
                         warmup_min_s=0.0)
    assert timing.stats.runs >= 20 and timing.stop_reason in ("ci", "budget")
    assert timing.warmup_runs >= 3 and not timing.cuda_graph
    assert not timing.throttle.checked and "CPU" in timing.throttle.note


def test_graph_replays_are_timed_under_the_shared_stopping_rule():
    device = GraphDevice(ns=2_500_000)
    module = Tiny()
    timing = time_module(module, tiny_inputs(), device, StoppingRule(budget_s=30.0, min_runs=50),
                         warmup_min_runs=4, warmup_min_s=0.0, monitor=FakeMonitor())
    # identical samples: the interval is zero wide at the first check, after min_runs
    assert timing.stop_reason == "ci" and timing.stats.runs == 50 and timing.stats.median == 2.5
    assert device.captured == 1 and device.replays == 50 + 3  # 3 untimed replays upload the graph
    assert module.calls == 4 + 1  # warm-up, then the one captured call: replays never run Python forward
    assert timing.cuda_graph and timing.throttle.checked and not timing.throttle.throttled


def test_the_run_cap_of_the_rule_is_honoured():
    timing = time_module(Tiny(), tiny_inputs(), GraphDevice(), StoppingRule(budget_s=30.0, min_runs=50, max_runs=7),
                         warmup_min_runs=1, warmup_min_s=0.0, monitor=FakeMonitor())
    assert timing.stop_reason == "max-runs" and timing.stats.runs == 7


def test_no_graph_requested_times_the_eager_call():
    device = GraphDevice()
    timing = time_module(Tiny(), tiny_inputs(), device, StoppingRule(budget_s=30.0, min_runs=10), cuda_graph=False,
                         warmup_min_runs=1, warmup_min_s=0.0, monitor=FakeMonitor())
    assert device.captured == 0 and not timing.cuda_graph


def test_smallest_variant_on_the_cpu_gives_a_valid_result():
    result = measure_torch_latency("damo-yolo-t", device=CpuDevice(), input_size=64, **FAST)
    Result.model_validate(result.model_dump())
    assert result.kind == "latency-torch-cuda" and result.status == "ok"
    assert result.metrics == {"latency_torch_cuda_ms": result.timing.stats.median}
    settings = result.settings
    assert settings["backend"] == "torch-cuda" and settings["device"] == "cpu"
    assert (settings["dtype"], settings["precision"], settings["cuda_graph"], settings["compile"]) == \
        ("float32", "fp32", False, False)
    assert settings["input_size"] == 64 and settings["weights"] == "random (seed 0)"
    assert "not a GPU figure" in result.details["timed"]
    assert result.provenance.machine.id == current_machine().id and result.provenance.machine.gpu is None
    assert result.details["throttle"]["checked"] is False


def test_rtdetrv2_goes_through_the_same_path():
    result = measure_torch_latency("rtdetrv2-s", device=CpuDevice(), input_size=160, **{**FAST, "budget_s": 0.2})
    assert result.metrics["latency_torch_cuda_ms"] > 0 and result.details["stop_reason"] in ("ci", "budget")


@pytest.fixture
def tiny_damoyolo(monkeypatch):
    """damo-yolo variants build the tiny module instead: the result path without the model's build time."""
    from benchgen.models.damoyolo import export

    # the deploy function damo-yolo's FAMILY declares
    monkeypatch.setattr(export, "deploy_inputs", lambda variant, weights, seed, size: (Tiny(), tiny_inputs()))


def test_a_throttled_timing_is_stored_as_unstable_with_its_evidence(tiny_damoyolo):
    result = measure_torch_latency("damo-yolo-t", device=GraphDevice(), input_size=64, monitor=FakeMonitor(0x20),
                                   **FAST)
    assert result.status == "unstable" and result.metrics["latency_torch_cuda_ms"] == 1.0
    assert "after: sw_thermal_slowdown active" in result.details["unstable_reason"]
    assert result.details["throttle"]["throttled"] and result.settings["clock_check"] == "nvml"
    Result.model_validate(result.model_dump())


def test_compile_is_a_labelled_setting(tiny_damoyolo):
    compiled = []

    def fake_compile(module):
        compiled.append(module)
        return module

    result = measure_torch_latency("damo-yolo-t", device=CpuDevice(), input_size=64, compile=True,
                                   compile_fn=fake_compile, **FAST)
    assert len(compiled) == 1 and "torch.compile" in result.settings["compile"]
    assert "compile_and_warmup_s" in result.details


def test_a_bring_your_own_onnx_family_is_refused_before_anything_is_built():
    with pytest.raises(BenchgenError, match="yolox-nano: torch-cuda times the families benchgen implements"):
        measure_torch_latency("yolox-nano", device=CpuDevice())


def test_without_a_gpu_nothing_is_built(monkeypatch):
    monkeypatch.setattr(torch_device, "nvidia_device_present", lambda: False)
    monkeypatch.setattr(latency_torch, "deploy_module", lambda *a, **k: pytest.fail("built a model"))
    with pytest.raises(BackendUnavailable, match="torch-cuda needs an NVIDIA GPU"):
        measure_torch_latency("damo-yolo-t")


def test_a_cpu_only_torch_on_a_gpu_machine_is_one_line(monkeypatch):
    monkeypatch.setattr(torch_device, "nvidia_device_present", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.version, "cuda", None)
    with pytest.raises(BackendUnavailable) as info:
        find_cuda()
    message = str(info.value)
    assert "a CPU-only build" in message and "\n" not in message


def test_the_gpu_machine_record_is_the_tensorrt_one_with_torchs_cuda(monkeypatch):
    from benchgen.measure.backends import gpu

    info = torch_device.CudaInfo(name="NVIDIA H100 80GB HBM3", cuda="13.0", torch="2.11.0", capability="9.0",
                                 pci_bus_id=None)
    monkeypatch.setattr(gpu, "find_gpu", lambda **kwargs: gpu.GpuInfo("NVIDIA H100 80GB HBM3", "580.1"))
    current_machine.cache_clear()
    machine = latency_torch.torch_gpu_machine(info)
    assert machine.id == f"gpu-nvidia-h100-80gb-hbm3-{machine.host_id}" and machine.cuda == "13.0" and machine.gpu_driver == "580.1"

    def no_smi(**kwargs):
        raise BackendUnavailable("no nvidia-smi")

    monkeypatch.setattr(gpu, "find_gpu", no_smi)
    current_machine.cache_clear()
    machine = latency_torch.torch_gpu_machine(info, driver="580.2")
    assert machine.id == f"gpu-nvidia-h100-80gb-hbm3-{machine.host_id}" and machine.gpu_driver == "580.2"
    current_machine.cache_clear()
