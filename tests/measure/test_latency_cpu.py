"""CPU latency on a tiny ONNX model: the statistics are consistent and the result says how they were taken."""

from __future__ import annotations

import numpy as np
import pytest

from benchgen.decoders.yolox import YoloxPipeline
from benchgen.errors import BenchgenError
from benchgen.measure.latency_cpu import measure_cpu_latency, probe_image, time_pipeline
from benchgen.measure.runners import OrtRunner
from benchgen.registry import load_registry


def test_stage_timings_are_consistent(tiny_model):
    runner = OrtRunner(tiny_model.onnx_path, threads=1)
    image = np.random.default_rng(0).integers(0, 256, (120, 160, 3), dtype=np.uint8)
    timing = time_pipeline(runner, YoloxPipeline(32), image, budget_s=0.6)
    for stats in (timing.network, timing.end_to_end, timing.preprocess, timing.postprocess):
        assert 0 < stats.min <= stats.median <= stats.p90 <= stats.max
        assert stats.ci_low <= stats.median <= stats.ci_high
    assert timing.end_to_end.median >= timing.network_in_pipeline.median
    parts = timing.preprocess.median + timing.network_in_pipeline.median + timing.postprocess.median
    assert timing.end_to_end.median == pytest.approx(parts, rel=0.5)
    assert set(timing.stop_reasons.values()) <= {"ci", "budget", "max-runs"}
    assert timing.warmup_runs >= 5 and timing.detections > 0


def test_result_records_what_the_numbers_mean(tiny_model):
    result = measure_cpu_latency(tiny_model.variant_id, budget_s=0.5, threads=1,
                                 registry=load_registry(tiny_model.registry_dir))
    assert result.kind == "latency-cpu" and result.variant == "tiny-yolox"
    assert result.metrics["latency_cpu_ms"] == result.details["network"]["median"]
    assert result.details["latency_end_to_end_ms"] == result.details["end_to_end"]["median"]
    for stage in ("network", "end_to_end", "preprocess", "postprocess"):
        assert {"median", "p90", "mean", "std", "runs"} <= set(result.details[stage])
    settings = result.settings
    assert settings["intra_op_threads"] == 1 and settings["inter_op_threads"] == 1 and settings["batch"] == 1
    assert settings["backend"] == "ort-cpu" and settings["input_size"] == 32 and settings["cpu"]
    assert result.provenance.machine.cpu == settings["cpu"]


def test_default_threads_are_recorded_as_onnxruntimes_choice(tiny_model):
    result = measure_cpu_latency(tiny_model.variant_id, budget_s=0.2, registry=load_registry(tiny_model.registry_dir))
    assert result.settings["intra_op_threads"] == "ort default"


def test_bad_arguments(tiny_model):
    registry = load_registry(tiny_model.registry_dir)
    with pytest.raises(BenchgenError, match="--budget"):
        measure_cpu_latency(tiny_model.variant_id, budget_s=0, registry=registry)
    with pytest.raises(BenchgenError, match="--threads"):
        measure_cpu_latency(tiny_model.variant_id, threads=0, budget_s=1, registry=registry)


def test_probe_image_falls_back_to_fixed_noise(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCHGEN_ROOT", str(tmp_path))
    first, name = probe_image()
    second, _ = probe_image()
    assert name.startswith("synthetic") and first.shape == (480, 640, 3) and (first == second).all()


def test_without_trained_weights_only_the_network_is_timed(tiny_model):
    runner = OrtRunner(tiny_model.onnx_path, threads=1)
    image = np.random.default_rng(0).integers(0, 256, (120, 160, 3), dtype=np.uint8)
    timing = time_pipeline(runner, YoloxPipeline(32), image, budget_s=0.4, end_to_end=False)
    details = timing.details()
    assert details["network"]["runs"] > 0 and "random weights" in details["end_to_end_skipped"]
    assert not {"end_to_end", "postprocess", "probe_detections"} & set(details)
    assert set(timing.stop_reasons) == {"network"}


def test_exported_random_weight_models_skip_end_to_end(tmp_path, monkeypatch):
    """A DAMO-YOLO export with fixed-seed weights: NMS time would be that of ~670,000 candidates."""
    monkeypatch.setenv("BENCHGEN_CACHE_DIR", str(tmp_path / "cache"))
    from benchgen.measure import latency_cpu
    from benchgen.measure.model_files import ModelFiles

    seen = {}
    real = latency_cpu.time_pipeline

    def spy(*args, **kwargs):
        seen["end_to_end"] = kwargs["end_to_end"]
        return real(*args, **{**kwargs, "budget_s": 0.2})

    monkeypatch.setattr(latency_cpu, "time_pipeline", spy)
    registry = load_registry()
    family, variant = registry.variant("damo-yolo-t")
    fake = ModelFiles(family, variant, tmp_path / "x.onnx", "0" * 64, None, "export", None, 0)
    assert not fake.trained and ModelFiles(family, variant, tmp_path / "x.onnx", "0" * 64, None, "export",
                                           tmp_path / "w.pth", None).trained
    result = measure_cpu_latency("damo-yolo-t", budget_s=0.2, threads=1, registry=registry)
    assert seen["end_to_end"] is False
    assert "end_to_end" not in result.details and "latency_end_to_end_ms" not in result.details
    assert result.settings["weights"] == "random (seed 0)"
