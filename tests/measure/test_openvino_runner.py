"""OpenVINO runs the same exported graph as ONNX Runtime, with its latency settings recorded."""

from __future__ import annotations

import numpy as np
import pytest

from benchgen.measure.backends.openvino_runner import LATENCY_CONFIG, OpenVinoRunner, openvino_fingerprint
from benchgen.measure.backends.runners import OrtRunner
from tests.measure.builders import build_tiny_yolox_onnx

pytest.importorskip("openvino")


def test_openvino_computes_what_onnx_runtime_computes_and_records_its_settings(tmp_path):
    path = build_tiny_yolox_onnx(tmp_path / "tiny.onnx", input_size=64)
    feeds = {"images": np.random.default_rng(3).uniform(0, 255, (1, 3, 64, 64)).astype(np.float32)}
    ov, ort = OpenVinoRunner(path, threads=1), OrtRunner(path, "ort-cpu", 1)
    (expected,), (got,) = ort.run(feeds), ov.run(feeds)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    call = ov.prepare(feeds)
    call()
    np.testing.assert_allclose(ov.request.get_output_tensor(0).data, expected, rtol=1e-4, atol=1e-5)
    settings = ov.settings
    assert settings["backend"] == "openvino-cpu" and settings["threads_requested"] == 1
    assert settings["openvino_config"] == {"performance_hint": "LATENCY", "num_streams": "1",
                                           "inference_precision_hint": "f32", "inference_num_threads": "1"}
    # read back from the compiled model: what OpenVINO actually chose
    assert settings["openvino_compiled"]["performance_hint"] == "LATENCY"
    assert settings["openvino_compiled"]["inference_precision_hint"] == "f32"
    assert settings["openvino_compiled"]["inference_num_threads"] == "1"


def test_the_fingerprint_names_the_version_and_the_fixed_configuration():
    fingerprint = openvino_fingerprint()
    assert fingerprint["config"] == LATENCY_CONFIG and fingerprint["openvino"][0].isdigit()


def test_no_python_thread_of_openvino_outlives_its_import(tmp_path):
    """OpenVINO's telemetry pool would otherwise sit beside every later timing, ONNX Runtime's too."""
    from benchgen.measure.timing.rounds import other_python_threads

    OpenVinoRunner(build_tiny_yolox_onnx(tmp_path / "tiny.onnx"))
    assert not [t for t in other_python_threads() if t.startswith("ThreadPoolExecutor")]
