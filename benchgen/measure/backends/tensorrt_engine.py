"""TensorRT FP16 engines built from the very ONNX file ONNX Runtime measures, and a runner for them.

TensorRT and cuda-python are an optional extra (``pip install 'benchgen[tensorrt]'``) and only work
with an NVIDIA GPU, so nothing here is imported at module load: the GPU is looked for first, then
the libraries, and either absence is one `BackendUnavailable` line before anything is exported or
written. Engines and the timing cache live in benchgen's cache, keyed by ONNX hash, TensorRT
version and GPU, because an FP16 build takes minutes and is only valid on the GPU it was tuned on.
"""

from __future__ import annotations

import importlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Sequence

import numpy as np

from benchgen.atomic_files import reserve_temp_path
from benchgen.errors import BackendUnavailable, BenchgenError
from benchgen.measure.backends.feeds import bind_feeds
from benchgen.measure.graph.model_files import cache_root, sha256_file
from benchgen.measure.backends.gpu import GpuInfo, cuda_call, cuda_version, find_gpu, gpu_machine, import_cudart  # noqa: F401
from benchgen.results.provenance import slugify

#: builder workspace limit; 4 GiB is ample for detectors at batch 1 and fits every datacenter GPU
WORKSPACE_BYTES = 4 << 30
EXTRA_HINT = "pip install 'benchgen[tensorrt]'"


def import_tensorrt() -> ModuleType:
    """TensorRT 10: its FP16 builder flag (what trtexec --fp16 and the published tables use) is gone in 11."""
    try:
        trt = importlib.import_module("tensorrt")
    except ImportError:
        raise BackendUnavailable(f"TensorRT is not installed ({EXTRA_HINT}); nothing was measured") from None
    if int(trt.__version__.split(".")[0]) >= 11:
        raise BackendUnavailable(f"TensorRT {trt.__version__} has no FP16 builder flag (removed in 11); benchgen "
                                 f"builds with TensorRT 10 ({EXTRA_HINT}); nothing was measured")
    return trt


def engine_fingerprint() -> dict[str, str]:
    """What besides the ONNX file decides an engine's outputs: TensorRT's version and the GPU."""
    gpu = find_gpu(needed_by="TensorRT")
    trt = import_tensorrt()
    return {"tensorrt": trt.__version__, "gpu": gpu.name, "precision": "fp16"}


def gpu_machine_id() -> str:
    """The id of the machine TensorRT results belong to; BackendUnavailable without a GPU or the extra."""
    engine_fingerprint()
    return gpu_machine(needed_by="TensorRT").id


def profile_shapes(name: str, shape: Sequence[int], input_size: int | None) -> tuple[tuple[int, ...], ...]:
    """min = opt = max shape of one network input for batch 1.

    A dynamic batch becomes 1; dynamic height/width of an image input (N, C, H, W) become the
    variant's input size. Anything else dynamic cannot be guessed and is an error naming the input.
    """
    dims = list(shape)
    for axis, dim in enumerate(dims):
        if dim >= 0:
            continue
        if axis == 0:
            dims[axis] = 1
        elif len(dims) == 4 and axis in (2, 3) and input_size:
            dims[axis] = input_size
        else:
            raise BenchgenError(f"TensorRT profile: input {name!r} has shape {tuple(shape)} with a dynamic axis "
                                f"{axis} that benchgen cannot fix; export the ONNX file with static shapes")
    fixed = tuple(dims)
    return fixed, fixed, fixed


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    tmp = reserve_temp_path(path)
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def build_engine(trt: ModuleType, onnx_path: Path, engine_path: Path, timing_cache_path: Path,
                 input_size: int | None, workspace_bytes: int = WORKSPACE_BYTES) -> float:
    """Build and save an FP16 engine with a batch-1 profile; returns the build time in seconds.

    The timing cache is loaded before and saved after the build, so kernels timed for one model
    are not re-timed for the next one on the same GPU and TensorRT version.
    """
    start = time.perf_counter()
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    flags = 0
    if int(trt.__version__.split(".")[0]) < 10:  # explicit batch is the only mode from TensorRT 10 on
        flags = 1 << int(trt.NetworkDefinitionCreationFlag.EXPLICIT_BATCH)
    network = builder.create_network(flags)
    parser = trt.OnnxParser(network, logger)
    if not parser.parse_from_file(str(onnx_path)):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise BenchgenError(f"{onnx_path}: TensorRT cannot parse this ONNX file: {errors}")
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, workspace_bytes)
    config.set_flag(trt.BuilderFlag.FP16)
    profile = builder.create_optimization_profile()
    for index in range(network.num_inputs):
        tensor = network.get_input(index)
        profile.set_shape(tensor.name, *profile_shapes(tensor.name, tuple(tensor.shape), input_size))
    config.add_optimization_profile(profile)
    cache = config.create_timing_cache(timing_cache_path.read_bytes() if timing_cache_path.is_file() else b"")
    config.set_timing_cache(cache, False)
    serialized = builder.build_serialized_network(network, config)
    if serialized is None:
        raise BenchgenError(f"{onnx_path}: TensorRT failed to build an FP16 engine (see the TensorRT log above)")
    _atomic_write_bytes(engine_path, bytes(serialized))
    _atomic_write_bytes(timing_cache_path, bytes(config.get_timing_cache().serialize()))
    return time.perf_counter() - start


def engine_paths(onnx_sha256: str, trt_version: str, gpu_name: str, workspace_bytes: int) -> tuple[Path, Path]:
    folder = cache_root() / "tensorrt"
    tag = f"trt{trt_version}-{slugify(gpu_name)}"
    return (folder / f"{onnx_sha256[:16]}-{tag}-fp16-ws{workspace_bytes >> 20}m.engine",
            folder / f"timing-{tag}.cache")


def ensure_engine(trt: ModuleType, gpu: GpuInfo, onnx_path: Path, input_size: int | None,
                  workspace_bytes: int = WORKSPACE_BYTES) -> tuple[Path, float | None]:
    """The cached engine for this ONNX file, built first if needed; build seconds, or None if cached."""
    engine_path, timing_cache = engine_paths(sha256_file(onnx_path), trt.__version__, gpu.name, workspace_bytes)
    if engine_path.is_file():
        return engine_path, None
    return engine_path, build_engine(trt, onnx_path, engine_path, timing_cache, input_size, workspace_bytes)


class TrtRunner:
    """Device buffers bound once; `run` copies in, enqueues, copies out, synchronises."""

    def __init__(self, trt: ModuleType, cudart: ModuleType, engine_path: Path) -> None:
        self.trt, self.cudart = trt, cudart
        self._logger = trt.Logger(trt.Logger.WARNING)
        runtime = trt.Runtime(self._logger)
        self.engine = runtime.deserialize_cuda_engine(engine_path.read_bytes())
        if self.engine is None:
            raise BenchgenError(f"{engine_path}: TensorRT cannot load this engine; delete it to rebuild")
        self.context = self.engine.create_execution_context()
        self.stream = cuda_call(cudart.cudaStreamCreate())
        self.input_names, self.output_names = [], []
        self.host: dict[str, np.ndarray] = {}
        self.device: dict[str, int] = {}
        for index in range(self.engine.num_io_tensors):
            name = self.engine.get_tensor_name(index)
            is_input = self.engine.get_tensor_mode(name) == trt.TensorIOMode.INPUT
            if is_input and -1 in tuple(self.engine.get_tensor_shape(name)):
                self.context.set_input_shape(name, tuple(self.engine.get_tensor_profile_shape(name, 0)[1]))
            shape = tuple(self.context.get_tensor_shape(name))
            self.host[name] = np.empty(shape, dtype=trt.nptype(self.engine.get_tensor_dtype(name)))
            self.device[name] = int(cuda_call(cudart.cudaMalloc(max(1, self.host[name].nbytes))))
            self.context.set_tensor_address(name, self.device[name])
            (self.input_names if is_input else self.output_names).append(name)
        self.settings = {"backend": "tensorrt", "precision": "fp16", "tensorrt": trt.__version__}

    @classmethod
    def from_onnx(cls, onnx_path: Path, input_size: int | None = None) -> "TrtRunner":
        gpu = find_gpu(needed_by="TensorRT")
        trt, cudart = import_tensorrt(), import_cudart()
        engine_path, _ = ensure_engine(trt, gpu, onnx_path, input_size)
        return cls(trt, cudart, engine_path)

    def _copy(self, dst: int, src: int, nbytes: int, kind) -> None:
        cuda_call(self.cudart.cudaMemcpyAsync(dst, src, nbytes, kind, self.stream))

    def load_inputs(self, feeds: dict[str, np.ndarray]) -> None:
        h2d = self.cudart.cudaMemcpyKind.cudaMemcpyHostToDevice
        for name, value in bind_feeds(feeds, self.input_names).items():
            array = np.ascontiguousarray(value, dtype=self.host[name].dtype).reshape(self.host[name].shape)
            self.host[name][...] = array
            self._copy(self.device[name], self.host[name].ctypes.data, array.nbytes, h2d)

    def execute(self) -> None:
        if not self.context.execute_async_v3(self.stream):
            raise RuntimeError("TensorRT execute_async_v3 failed")

    def run(self, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        self.load_inputs(feeds)
        self.execute()
        d2h = self.cudart.cudaMemcpyKind.cudaMemcpyDeviceToHost
        for name in self.output_names:
            self._copy(self.host[name].ctypes.data, self.device[name], self.host[name].nbytes, d2h)
        cuda_call(self.cudart.cudaStreamSynchronize(self.stream))
        return [self.host[name].copy() for name in self.output_names]

    def prepare(self, feeds: dict[str, np.ndarray]) -> Callable[[], None]:
        self.load_inputs(feeds)
        cuda_call(self.cudart.cudaStreamSynchronize(self.stream))

        def call() -> None:
            self.execute()
            cuda_call(self.cudart.cudaStreamSynchronize(self.stream))

        return call

    def gpu_compute_ms(self, min_iterations: int, min_seconds: float, max_iterations: int = 100_000) -> list[float]:
        """trtexec's "GPU Compute Time": CUDA events around each enqueue, inputs already on the GPU."""
        cudart = self.cudart
        start_event, end_event = cuda_call(cudart.cudaEventCreate()), cuda_call(cudart.cudaEventCreate())
        times: list[float] = []
        began = time.perf_counter()
        try:
            while len(times) < max_iterations and (len(times) < min_iterations
                                                   or time.perf_counter() - began < min_seconds):
                cuda_call(cudart.cudaEventRecord(start_event, self.stream))
                self.execute()
                cuda_call(cudart.cudaEventRecord(end_event, self.stream))
                cuda_call(cudart.cudaEventSynchronize(end_event))
                times.append(float(cuda_call(cudart.cudaEventElapsedTime(start_event, end_event))))
        finally:
            cudart.cudaEventDestroy(start_event)
            cudart.cudaEventDestroy(end_event)
        return times

    def close(self) -> None:
        for pointer in self.device.values():
            self.cudart.cudaFree(pointer)
        self.device.clear()
        self.cudart.cudaStreamDestroy(self.stream)
