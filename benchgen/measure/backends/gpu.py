"""Which NVIDIA GPU this machine has, and the machine record GPU results are filed under.

Every GPU backend (TensorRT, PyTorch CUDA, ONNX Runtime CUDA for accuracy) asks here, so none asks
another backend's module for its GPU, and a missing GPU is one `BackendUnavailable` line that names
the backend that wanted it. Nothing here imports a GPU library at module load.
"""

from __future__ import annotations

import importlib
import subprocess
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable

from benchgen.errors import BackendUnavailable
from benchgen.results.provenance import current_machine
from benchgen.results.schema import Machine

#: how cuda-python is installed (with TensorRT, the extra that needs it)
CUDA_PYTHON_HINT = "pip install 'benchgen[tensorrt]'"


@dataclass(frozen=True)
class GpuInfo:
    name: str
    driver: str


def find_gpu(run: Callable[..., Any] = subprocess.run, needed_by: str = "GPU timing") -> GpuInfo:
    """The first NVIDIA GPU as the driver reports it; BackendUnavailable (one line) without one."""
    try:
        done = run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
                   capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        raise BackendUnavailable(f"{needed_by} needs an NVIDIA GPU and this machine has none (no nvidia-smi); "
                                 "nothing was measured") from None
    lines = [line for line in (done.stdout or "").splitlines() if line.strip()]
    if done.returncode != 0 or not lines:
        message = (done.stderr or done.stdout or "").strip()
        reason = message.splitlines()[0] if message else "no GPU listed"
        raise BackendUnavailable(f"{needed_by} needs an NVIDIA GPU and nvidia-smi finds none ({reason}); "
                                 "nothing was measured")
    name, _, driver = lines[0].partition(",")
    return GpuInfo(name=name.strip(), driver=driver.strip())


def import_cudart() -> ModuleType:
    """cuda-python's runtime bindings: `cuda.bindings.runtime` since 12.6, `cuda.cudart` before."""
    for name in ("cuda.bindings.runtime", "cuda.cudart"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    raise BackendUnavailable(f"cuda-python is not installed ({CUDA_PYTHON_HINT}); nothing was measured")


def cuda_call(result: Any) -> Any:
    """cuda-python returns (error, *values); turn a failure into an exception and unwrap the values."""
    if not isinstance(result, tuple):
        result = (result,)
    error, values = result[0], result[1:]
    if int(error) != 0:
        raise RuntimeError(f"CUDA call failed: {error}")
    return values[0] if len(values) == 1 else (values or None)


def cuda_version(cudart: ModuleType) -> str:
    version = int(cuda_call(cudart.cudaRuntimeGetVersion()))
    return f"{version // 1000}.{version % 1000 // 10}"


def gpu_machine(cuda: str | None = None, needed_by: str = "GPU timing") -> Machine:
    """The machine record for GPU results: CPU facts plus GPU model, driver and CUDA runtime version.

    `cuda` is given by backends that know theirs (PyTorch's own CUDA build); otherwise it is the
    CUDA runtime cuda-python reports, or None without cuda-python.
    """
    gpu = find_gpu(needed_by=needed_by)
    if cuda is None:
        try:
            cuda = cuda_version(import_cudart())
        except (BackendUnavailable, RuntimeError):
            cuda = None
    return current_machine(gpu=gpu.name, gpu_driver=gpu.driver, cuda=cuda)
