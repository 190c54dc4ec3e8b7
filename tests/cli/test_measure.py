"""`benchgen eval | latency | size` from the command line, on a tiny model and a synthetic dataset."""

from __future__ import annotations

import subprocess
import sys

import pytest

from benchgen.cli import main
from benchgen.measure.backends import gpu, tensorrt_engine
from benchgen.results.provenance import current_machine
from benchgen.results.store import load_results
from tests.measure.builders import build_synthetic_coco, build_tiny_yolox_onnx, write_tiny_registry


@pytest.fixture
def setup(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCHGEN_CACHE_DIR", str(tmp_path / "cache"))
    onnx_path = build_tiny_yolox_onnx(tmp_path / "tiny.onnx")
    registry = write_tiny_registry(tmp_path / "registry", onnx_path)
    yield tmp_path, registry
    current_machine.cache_clear()  # measured here; later tests may set BENCHGEN_MACHINE_ID


@pytest.mark.parametrize("verb", ["eval", "latency", "size"])
def test_help(verb, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([verb, "--help"])
    assert exit_info.value.code == 0
    assert "--results" in capsys.readouterr().out


def test_eval_prints_the_coco_summary_and_stores_all_twelve_stats(setup, capsys):
    tmp_path, registry = setup
    coco = build_synthetic_coco(tmp_path / "coco")
    argv = ["eval", "tiny-yolox", "--registry", str(registry), "--images", str(coco.images_dir),
            "--results", str(tmp_path / "results"), "--no-progress"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.count("Average Precision") == 6 and out.count("Average Recall") == 6
    assert "tiny-yolox: mAP50-95" in out and "coco/val2017 (6 images)" in out
    [result] = load_results(tmp_path / "results")
    assert result.kind == "accuracy" and len(result.details["coco"]) == 12
    assert result.provenance.git_commit is None or len(result.provenance.git_commit) == 40
    assert main(argv) == 0  # second run: cached detections, a second result file
    assert "cached detections" in capsys.readouterr().out
    assert len(load_results(tmp_path / "results")) == 2


def test_latency_writes_a_cpu_result(setup, capsys):
    tmp_path, registry = setup
    assert main(["latency", "tiny-yolox", "--registry", str(registry), "--budget", "0.3", "--threads", "1",
                 "--results", str(tmp_path / "results")]) == 0
    assert "ORT CPU network median" in capsys.readouterr().out
    [result] = load_results(tmp_path / "results")
    assert result.kind == "latency-cpu" and result.settings["intra_op_threads"] == 1


def test_size_writes_a_size_result(setup, capsys):
    tmp_path, registry = setup
    assert main(["size", "tiny-yolox", "--registry", str(registry), "--results", str(tmp_path / "results")]) == 0
    assert "M params" in capsys.readouterr().out
    [result] = load_results(tmp_path / "results")
    assert set(result.metrics) == {"params_m", "flops_g"}


def test_tensorrt_without_a_gpu_is_one_line_and_writes_nothing(setup, capsys, monkeypatch):
    tmp_path, registry = setup

    def no_driver(*args, **kwargs):
        raise FileNotFoundError("nvidia-smi")

    monkeypatch.setattr(gpu.subprocess, "run", no_driver)
    code = main(["latency", "tiny-yolox", "--registry", str(registry), "--backend", "tensorrt",
                 "--results", str(tmp_path / "results")])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert captured.err.count("\n") == 1 and "needs an NVIDIA GPU" in captured.err
    assert not (tmp_path / "results").exists() and not (tmp_path / "cache").exists()


def test_missing_dataset_is_a_clean_error(setup, capsys):
    tmp_path, registry = setup
    code = main(["eval", "tiny-yolox", "--registry", str(registry), "--images", str(tmp_path / "nowhere"),
                 "--results", str(tmp_path / "results"), "--no-progress"])
    assert code == 2 and "nowhere" in capsys.readouterr().err
    assert not (tmp_path / "results").exists()


def test_module_entry_point_runs(setup):
    done = subprocess.run([sys.executable, "-m", "benchgen", "size", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "FLOPs" in done.stdout


def test_torch_cuda_without_a_gpu_is_one_line_and_writes_nothing(tmp_path, capsys, monkeypatch):
    from benchgen.measure.timing import torch_device

    monkeypatch.setenv("BENCHGEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(torch_device, "nvidia_device_present", lambda: False)  # also on a GPU CI runner
    code = main(["latency", "damo-yolo-t", "--backend", "torch-cuda", "--results", str(tmp_path / "results")])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert captured.err.count("\n") == 1 and "torch-cuda needs an NVIDIA GPU" in captured.err
    assert not (tmp_path / "results").exists() and not (tmp_path / "cache").exists()


def test_torch_only_options_are_refused_for_other_backends(setup, capsys):
    tmp_path, registry = setup
    code = main(["latency", "tiny-yolox", "--registry", str(registry), "--compile",
                 "--results", str(tmp_path / "results")])
    assert code == 2 and "--backend torch-cuda only" in capsys.readouterr().err


def test_torch_cuda_summary_names_the_backend_gpu_and_mode(tmp_path, capsys, monkeypatch):
    from benchgen.measure.timing import latency_torch
    from tests.conftest import make_result, make_timing

    def fake(variant, **kwargs):
        assert kwargs["budget_s"] == latency_torch.DEFAULT_BUDGET_S and kwargs["cuda_graph"] and not kwargs["compile"]
        result = make_result(variant, "latency-torch-cuda", {"latency_torch_cuda_ms": 1.234},
                             settings={"backend": "torch-cuda", "gpu": "NVIDIA H100", "cuda_graph": True,
                                       "compile": False})
        result.status = "unstable"
        result.timing = make_timing(1.234, runs=400)
        result.timing.stats.p90 = 1.3
        result.details = {"unstable_reason": "GPU throttled while timing: after: sw_thermal_slowdown active"}
        return result

    monkeypatch.setattr(latency_torch, "measure_torch_latency", fake)
    code = main(["latency", "damo-yolo-t", "--backend", "torch-cuda", "--results", str(tmp_path / "results")])
    out = capsys.readouterr().out
    assert code == 0
    assert "damo-yolo-t: PyTorch CUDA FP16 median 1.234 ms (p90 1.300, 400 runs, CUDA graph) on NVIDIA H100" in out
    assert "UNSTABLE: GPU throttled" in out
    [stored] = load_results(tmp_path / "results")
    assert stored.status == "unstable" and stored.kind == "latency-torch-cuda"
