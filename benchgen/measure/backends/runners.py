"""One call signature for every inference backend: feeds in, outputs (in ONNX order) out.

Evaluation and timing code drive a `Runner` and never see whether ONNX Runtime or a TensorRT engine
sits behind it, so accuracy measured on one backend is directly comparable with another.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Protocol, Sequence

import numpy as np
import onnxruntime as ort

from benchgen.errors import BackendUnavailable, BenchgenError
from benchgen.measure.backends.feeds import bind_feeds

#: the runtimes an ONNX file runs on for evaluation (refresh's backends are benchgen.metrics.BACKENDS)
RUNNER_BACKENDS = ("ort-cpu", "ort-cuda", "tensorrt")


class Runner(Protocol):
    input_names: list[str]
    settings: dict[str, Any]  # what the backend ran with, for Result.settings

    def run(self, feeds: dict[str, np.ndarray]) -> Sequence[np.ndarray]:
        ...

    def prepare(self, feeds: dict[str, np.ndarray]) -> Callable[[], Sequence[np.ndarray]]:
        ...


#: ORT's intra-op workers spin between operators by default. On this project's 2-vCPU VMs that put
#: two-thread runs into slow phases of seconds to minutes whenever the host ran the two vCPUs on one
#: physical core (the spinning one takes the worker's execution units): YOLOX-Nano 8.2 ms in one
#: phase and 16-19 ms in the next (slower than one thread, 14 ms), D-FINE-N 102 ms for a whole
#: 20 s run against 62-66 ms with spinning off, round spreads 4-12 %. Spinning off costs the small
#: models the workers' wake-up (YOLOX-Nano 10.9 ms) but gives a figure the next run reproduces.
INTRA_OP_SPINNING = "0"


def session_options(threads: int | None = None) -> tuple[ort.SessionOptions, dict[str, Any]]:
    """Options fixed for every ORT measurement, and their record (threads 0 = ORT's default)."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or 0
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", INTRA_OP_SPINNING)
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    record = {"intra_op_threads": threads if threads else "ort default", "inter_op_threads": 1,
              "intra_op_spinning": "on" if INTRA_OP_SPINNING == "1" else "off", "execution_mode": "sequential", "graph_optimization": "all", "onnxruntime": ort.__version__}
    return options, record


def session_source(onnx_path: Path) -> str | bytes:
    """The file's path, or, for an export that lists its initializers among the graph inputs (old
    PyTorch exporters, paddle2onnx), the model with those inputs removed, serialised in memory.

    ONNX Runtime warns once per such initializer (hundreds of lines for NanoDet-m) and, worse,
    treats each as an input a caller may override, so it cannot constant-fold them: the session
    would time a less optimised graph than the export's users get from any current tool. The
    user's file is never modified; a model with external data is left as it is (its tensors are
    found relative to the file, which bytes in memory lose).
    """
    import onnx

    model = onnx.load(str(onnx_path), load_external_data=False)
    graph = model.graph
    initializers = {i.name for i in graph.initializer}
    if not any(i.name in initializers for i in graph.input):
        return str(onnx_path)
    if any(i.data_location == onnx.TensorProto.EXTERNAL for i in graph.initializer):
        return str(onnx_path)
    real = [i for i in graph.input if i.name not in initializers]
    del graph.input[:]
    graph.input.extend(real)
    return model.SerializeToString()


def require_ort_cuda() -> None:
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        raise BackendUnavailable("ort-cuda needs onnxruntime-gpu and an NVIDIA GPU; this onnxruntime offers "
                                 f"{', '.join(ort.get_available_providers())} (use --backend ort-cpu)")


class OrtRunner:
    def __init__(self, onnx_path: Path, backend: str = "ort-cpu", threads: int | None = None) -> None:
        providers = ["CPUExecutionProvider"]
        if backend == "ort-cuda":
            require_ort_cuda()
            providers = ["CUDAExecutionProvider", "CPUExecutionProvider"]
        options, record = session_options(threads)
        self.session = ort.InferenceSession(session_source(onnx_path), sess_options=options, providers=providers)
        self.input_names = [i.name for i in self.session.get_inputs()]
        self.output_names = [o.name for o in self.session.get_outputs()]
        self.settings = {"backend": backend, **record}

    def run(self, feeds: dict[str, np.ndarray]) -> Sequence[np.ndarray]:
        return self.session.run(self.output_names, bind_feeds(feeds, self.input_names))

    def prepare(self, feeds: dict[str, np.ndarray]) -> Callable[[], Sequence[np.ndarray]]:
        """A zero-argument call that is `session.run` and nothing else, for timing the network alone."""
        run, names, bound = self.session.run, self.output_names, bind_feeds(feeds, self.input_names)
        return lambda: run(names, bound)


def make_runner(backend: str, onnx_path: Path, threads: int | None = None, input_size: int | None = None) -> Runner:
    """`input_size` fixes dynamic image axes where an engine needs static shapes (TensorRT)."""
    if backend in ("ort-cpu", "ort-cuda"):
        return OrtRunner(onnx_path, backend, threads)
    if backend == "tensorrt":
        from benchgen.measure.backends.tensorrt_engine import TrtRunner  # tensorrt is an optional extra

        return TrtRunner.from_onnx(onnx_path, input_size)
    raise BenchgenError(f"unknown backend {backend!r}; choose one of {', '.join(RUNNER_BACKENDS)}")
