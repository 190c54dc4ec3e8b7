"""`benchgen latency --backend openvino-cpu` and `--precision int8`, end to end on a tiny model."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from benchgen.cli import main
from benchgen.results.provenance import current_machine
from benchgen.results.store import load_results
from tests.measure.builders import build_tiny_yolox_onnx, write_tiny_registry

pytest.importorskip("openvino")
pytest.importorskip("nncf")


@pytest.fixture
def setup(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCHGEN_CACHE_DIR", str(tmp_path / "cache"))
    calibration = tmp_path / "mini" / "train2017"
    calibration.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(3):
        cv2.imwrite(str(calibration / f"{i}.jpg"), rng.integers(0, 256, (40, 40, 3), dtype=np.uint8))
    monkeypatch.setenv("BENCHGEN_CALIBRATION_DIR", str(calibration))
    registry = write_tiny_registry(tmp_path / "registry", build_tiny_yolox_onnx(tmp_path / "tiny.onnx"))
    yield tmp_path, ["--registry", str(registry), "--results", str(tmp_path / "results"), "--budget", "0.3",
                     "--allow-busy"]
    current_machine.cache_clear()


@pytest.mark.parametrize("backend", ["openvino-cpu", "ort-cpu"])
def test_int8_latency_is_stored_apart_with_its_precision_and_recipe(setup, backend, capsys):
    tmp_path, common = setup
    assert main(["latency", "tiny-yolox", "--backend", backend, "--precision", "int8", *common]) == 0
    out = capsys.readouterr().out
    assert " INT8 " in out and "-int8.json" in out
    (result,) = load_results(tmp_path / "results")
    assert result.precision == "int8" and result.settings["precision"] == "int8"
    assert result.settings["quantiser"].startswith("nncf") and result.settings["calibration_images"] == "3 from mini"
    expected_kind = "latency-openvino-cpu" if backend == "openvino-cpu" else "latency-cpu"
    assert result.kind == expected_kind and result.timing.calibration is not None  # the same probe as ORT's
    if backend == "openvino-cpu":
        assert result.metrics.keys() == {"latency_openvino_cpu_ms"}
        assert result.settings["openvino_compiled"]["performance_hint"] == "LATENCY"
        assert result.details["contention"]["rule"]  # judged by the same contention rule


def test_openvino_fp32_latency_keeps_the_plain_file_name(setup, capsys):
    tmp_path, common = setup
    assert main(["latency", "tiny-yolox", "--backend", "openvino-cpu", *common]) == 0
    (result,) = load_results(tmp_path / "results")
    assert result.precision == "fp32" and result.provenance.machine.id == current_machine().id
    assert "CPU OpenVINO (ms) median" in capsys.readouterr().out


def test_int8_on_a_gpu_backend_is_one_line_and_exit_2(setup, capsys):
    tmp_path, common = setup
    assert main(["latency", "tiny-yolox", "--backend", "tensorrt", "--precision", "int8", *common]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--precision int8 runs on ort-cpu and openvino-cpu only" in err
    assert not (tmp_path / "results").exists() or not load_results(tmp_path / "results")
