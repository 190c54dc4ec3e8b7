"""The device-specific calls of PyTorch timing behind one small seam, so the timing code is the same on both.

`CudaDevice` places the model in FP16 on the GPU, captures it in a CUDA graph and times each graph
replay with CUDA events (GPU time between two events on the stream, as trtexec's "GPU Compute
Time"). `CpuDevice` runs the same code path on the CPU: FP32 (FP16 convolutions are unsupported or
emulated and slow on CPUs, so timing them would say nothing), no graph, perf_counter around a call.
It exists so the path is tested on machines without a GPU; its numbers are never a GPU column.

Nothing here imports torch at module load: `find_cuda` first looks for an NVIDIA device node, so a
refresh on a CPU machine decides "no torch-cuda here" without the second it takes to import torch.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, ContextManager, Protocol

from benchgen.errors import BackendUnavailable, BenchgenError
from benchgen.measure.timing.gpu_clocks import ClockMonitor, NoMonitor, NvmlMonitor


class TorchDevice(Protocol):
    kind: str  # "cuda" | "cpu"
    dtype: Any  # torch.dtype the floating-point inputs and weights are cast to
    dtype_reason: str
    supports_graphs: bool

    def place(self, module: Any, inputs: tuple) -> tuple[Any, tuple]:
        """The module and inputs on this device, floating point in `dtype`, integers unchanged."""

    def creating(self) -> ContextManager:
        """Tensors a forward pass creates without a device (constants built from Python ints) land here."""

    def synchronize(self) -> None:
        ...

    def capture(self, call: Callable[[], Any]) -> Callable[[], Any]:
        """A zero-argument call that replays `call`'s work (a CUDA graph), or `call` itself."""

    def time(self, call: Callable[[], Any]) -> int:
        """Nanoseconds `call` took on this device (GPU time between CUDA events, or wall time)."""

    def monitor(self) -> ClockMonitor:
        ...

    def settings(self) -> dict[str, Any]:
        ...


def _place(torch: Any, module: Any, inputs: tuple, device: Any, dtype: Any) -> tuple[Any, tuple]:
    module = module.to(device=device, dtype=dtype).eval()
    placed = tuple(t.to(device=device, dtype=dtype) if t.is_floating_point() else t.to(device) for t in inputs)
    return module, placed


class CpuDevice:
    kind = "cpu"
    supports_graphs = False
    dtype_reason = "fp32: FP16 convolutions on a CPU are unsupported or emulated, so FP16 would not be timed fairly"

    def __init__(self) -> None:
        import torch

        self.torch = torch
        self.dtype = torch.float32
        self.device = torch.device("cpu")

    def place(self, module: Any, inputs: tuple) -> tuple[Any, tuple]:
        return _place(self.torch, module, inputs, self.device, self.dtype)

    def creating(self) -> ContextManager:
        return contextlib.nullcontext()

    def synchronize(self) -> None:
        pass

    def capture(self, call: Callable[[], Any]) -> Callable[[], Any]:
        return call

    def time(self, call: Callable[[], Any]) -> int:
        t0 = time.perf_counter_ns()
        call()
        return time.perf_counter_ns() - t0

    def monitor(self) -> ClockMonitor:
        return NoMonitor("CPU device: no GPU clocks")

    def settings(self) -> dict[str, Any]:
        return {"device": "cpu", "torch": self.torch.__version__, "threads": self.torch.get_num_threads()}


@dataclass(frozen=True)
class CudaInfo:
    name: str
    cuda: str | None  # CUDA version PyTorch was built with (torch.version.cuda)
    torch: str
    capability: str
    pci_bus_id: str | None


def nvidia_device_present() -> bool:
    """An NVIDIA kernel driver with at least one device node; cheap, and no torch import."""
    return Path("/proc/driver/nvidia/version").is_file() or any(Path("/dev").glob("nvidia[0-9]*"))


def find_cuda(index: int = 0) -> CudaInfo:
    """The CUDA device PyTorch sees; BackendUnavailable (one line) without one."""
    if not nvidia_device_present():
        raise BackendUnavailable("torch-cuda needs an NVIDIA GPU and this machine has none (no /dev/nvidia* "
                                 "device, no NVIDIA driver); nothing was measured")
    import torch

    if not torch.cuda.is_available():
        build = f"CUDA {torch.version.cuda}" if torch.version.cuda else "a CPU-only build"
        raise BackendUnavailable(f"torch-cuda needs PyTorch with CUDA and a GPU it can use; torch {torch.__version__} "
                                 f"({build}) finds no CUDA device; nothing was measured")
    props = torch.cuda.get_device_properties(index)
    pci = None
    if hasattr(props, "pci_bus_id"):
        pci = f"{getattr(props, 'pci_domain_id', 0):08X}:{props.pci_bus_id:02X}:{getattr(props, 'pci_device_id', 0):02X}.0"
    return CudaInfo(name=torch.cuda.get_device_name(index), cuda=torch.version.cuda, torch=torch.__version__,
                    capability=f"{props.major}.{props.minor}", pci_bus_id=pci)


class CudaDevice:
    kind = "cuda"
    supports_graphs = True
    dtype_reason = "fp16, as the published TensorRT FP16 tables"

    def __init__(self, index: int = 0) -> None:
        self.info = find_cuda(index)
        import torch

        self.torch = torch
        self.device = torch.device("cuda", index)
        torch.cuda.set_device(self.device)
        # fixed shapes: let cuDNN time its convolution algorithms once, as TensorRT picks its tactics
        torch.backends.cudnn.benchmark = True
        self.dtype = torch.float16
        self._start = torch.cuda.Event(enable_timing=True)
        self._end = torch.cuda.Event(enable_timing=True)
        self._monitor: ClockMonitor | None = None
        self.static_outputs: Any = None  # the graph's output tensors must outlive it

    def place(self, module: Any, inputs: tuple) -> tuple[Any, tuple]:
        return _place(self.torch, module, inputs, self.device, self.dtype)

    def creating(self) -> ContextManager:
        # A few constants (position embeddings) are built from Python ints inside forward; created on
        # the CPU they would be copied host-to-device in every call, which a CUDA graph cannot capture.
        return self.device

    def synchronize(self) -> None:
        self.torch.cuda.synchronize(self.device)

    def capture(self, call: Callable[[], Any]) -> Callable[[], Any]:
        torch = self.torch
        side = torch.cuda.Stream(self.device)
        side.wait_stream(torch.cuda.current_stream(self.device))
        with torch.cuda.stream(side):  # PyTorch's recipe: warm up on a side stream before capture
            for _ in range(3):
                call()
        torch.cuda.current_stream(self.device).wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        try:
            with torch.cuda.graph(graph):
                self.static_outputs = call()
        except RuntimeError as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise BenchgenError(f"CUDA graph capture failed ({reason}); rerun with --no-cuda-graph to time "
                                "eager launches (recorded as cuda_graph=false)") from exc
        self.synchronize()
        self._graph = graph
        return graph.replay

    def time(self, call: Callable[[], Any]) -> int:
        self._start.record()
        call()
        self._end.record()
        self._end.synchronize()
        return int(round(self._start.elapsed_time(self._end) * 1e6))

    def monitor(self) -> ClockMonitor:
        if self._monitor is None:
            self._monitor = NvmlMonitor.open(self.info.pci_bus_id)
        return self._monitor

    def driver(self) -> str | None:
        driver = self.monitor().driver()
        if driver is None:
            from benchgen.measure.backends.gpu import find_gpu

            try:
                driver = find_gpu(needed_by="torch-cuda").driver
            except BackendUnavailable:
                return None
        return driver

    def settings(self) -> dict[str, Any]:
        return {"device": "cuda", "gpu": self.info.name, "gpu_driver": self.driver(), "cuda": self.info.cuda,
                "torch": self.info.torch, "compute_capability": self.info.capability,
                "cudnn": self.torch.backends.cudnn.version(), "cudnn_benchmark": True}


def make_device(kind: str) -> TorchDevice:
    if kind == "cuda":
        return CudaDevice()
    if kind == "cpu":
        return CpuDevice()
    raise BenchgenError(f"unknown torch device {kind!r}; choose cuda or cpu")
