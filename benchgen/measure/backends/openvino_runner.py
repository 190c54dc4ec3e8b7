"""OpenVINO on the CPU behind the `Runner` call signature: the same exported ONNX graph, read by
OpenVINO's ONNX front end, compiled with OpenVINO's documented batch-1 latency settings.

The settings are fixed and recorded, and read back from the compiled model, because OpenVINO
chooses some of them itself:
- PERFORMANCE_HINT=LATENCY, one stream and one infer request: what OpenVINO's performance guide
  prescribes for a single synchronous request ("latency" mode), the same question ONNX Runtime's
  sequential session answers.
- INFERENCE_NUM_THREADS: the measurement's thread count (None: OpenVINO's own choice, all cores).
- INFERENCE_PRECISION_HINT=f32: on a CPU with AVX-512 BF16 or AMX, OpenVINO otherwise runs an FP32
  graph in bfloat16, and the column would compare a lower precision with ONNX Runtime's FP32. An INT8
  (QDQ) graph still runs its quantised operators in INT8; the hint covers what stays floating point.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from benchgen.errors import BackendUnavailable
from benchgen.measure.backends.feeds import bind_feeds

#: the latency configuration for batch 1 (OpenVINO's "Optimizing for latency" guide)
LATENCY_CONFIG = {"PERFORMANCE_HINT": "LATENCY", "NUM_STREAMS": "1", "INFERENCE_PRECISION_HINT": "f32"}
#: what the compiled model is asked back, so a result records what OpenVINO actually chose
READ_BACK = ("PERFORMANCE_HINT", "NUM_STREAMS", "INFERENCE_NUM_THREADS", "INFERENCE_PRECISION_HINT",
             "ENABLE_CPU_PINNING", "ENABLE_HYPER_THREADING", "SCHEDULING_CORE_TYPE")


def _openvino():
    try:
        import openvino
    except ImportError as exc:
        raise BackendUnavailable(f"openvino-cpu needs the openvino package (pip install -e . installs it): {exc}") from None
    stop_telemetry_thread()
    return openvino


def stop_telemetry_thread() -> None:
    """Importing OpenVINO (and NNCF) sends a telemetry event from a thread pool whose worker then
    stays alive for the life of the process: a Python thread beside every later timing, ONNX
    Runtime's included, which the rounds record and which competes for the GIL (see
    benchgen.measure.timing.rounds.other_python_threads). Its pool is shut down and joined; later events
    are dropped by the telemetry library itself (it ignores a closed pool). Nothing is sent from
    these machines in any case (no network)."""
    try:
        from openvino_telemetry.main import Telemetry

        Telemetry().sender.executor.shutdown(wait=True, cancel_futures=True)
    except Exception:  # noqa: BLE001 - another telemetry version: the thread stays, and the rounds say so
        return


def openvino_version() -> str:
    return _openvino().__version__


def openvino_fingerprint() -> dict[str, Any]:
    """Part of every openvino-cpu cache key: the library and the fixed configuration."""
    return {"openvino": openvino_version().split("-")[0], "config": dict(LATENCY_CONFIG)}


def latency_config(threads: int | None) -> dict[str, str]:
    config = dict(LATENCY_CONFIG)
    if threads:
        config["INFERENCE_NUM_THREADS"] = str(threads)
    return config


class OpenVinoRunner:
    """One compiled model and one infer request, reused for every run (as a deployment does)."""

    def __init__(self, onnx_path: Path, threads: int | None = None) -> None:
        ov = _openvino()
        core = ov.Core()
        compiled = core.compile_model(core.read_model(str(onnx_path)), "CPU", latency_config(threads))
        self.compiled = compiled
        self.request = compiled.create_infer_request()
        self.input_names = [port.get_any_name() for port in compiled.inputs]
        self.output_count = len(compiled.outputs)
        chosen = {}
        for key in READ_BACK:
            try:
                value = compiled.get_property(key)
            except RuntimeError:  # a property this OpenVINO build does not report
                continue
            # an element type reads "<Type: 'float32'>" as a string; its name is what the config says
            chosen[key.lower()] = value.get_type_name() if hasattr(value, "get_type_name") else str(value)
        self.settings: dict[str, Any] = {
            "backend": "openvino-cpu", "openvino": openvino_version().split("-")[0],
            "threads_requested": threads if threads else "openvino default",
            "openvino_config": {k.lower(): v for k, v in latency_config(threads).items()}, "openvino_compiled": chosen,
        }

    def _set(self, feeds: dict[str, np.ndarray]) -> None:
        bound = bind_feeds(feeds, self.input_names)
        for index, name in enumerate(self.input_names):
            self.request.set_input_tensor(index, _openvino().Tensor(np.ascontiguousarray(bound[name])))

    def _outputs(self) -> list[np.ndarray]:
        return [self.request.get_output_tensor(i).data.copy() for i in range(self.output_count)]

    def run(self, feeds: dict[str, np.ndarray]) -> Sequence[np.ndarray]:
        self._set(feeds)
        self.request.infer()
        return self._outputs()

    def prepare(self, feeds: dict[str, np.ndarray]) -> Callable[[], Any]:
        """A zero-argument call that is the synchronous `infer` and nothing else (inputs bound once)."""
        self._set(feeds)
        return self.request.infer
