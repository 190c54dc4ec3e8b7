"""CPU latency on a tiny ONNX model: the statistics are consistent and the result says how they were taken."""

from __future__ import annotations

import numpy as np
import pytest

from benchgen.decoders.yolox import YoloxPipeline
from benchgen.errors import BenchgenError
from benchgen.measure.timing import latency_cpu
from benchgen.measure.timing.latency_cpu import measure_cpu_latency, probe_image, stored_samples, time_end_to_end
from benchgen.measure.backends.runners import OrtRunner
from benchgen.registry import load_registry
from tests.load_monitors import ScriptedMonitor


def test_stage_timings_are_consistent(tiny_model):
    runner = OrtRunner(tiny_model.onnx_path, threads=1)
    image = np.random.default_rng(0).integers(0, 256, (120, 160, 3), dtype=np.uint8)
    stages = time_end_to_end(runner, YoloxPipeline(32), image, budget_s=0.4)
    for stats in (stages.end_to_end, stages.preprocess, stages.postprocess, stages.inference):
        assert 0 < stats.min <= stats.median <= stats.p90 <= stats.p95 <= stats.p99 <= stats.max
        assert stats.ci_low <= stats.median <= stats.ci_high and stats.tails_from is None
    assert stages.end_to_end.median >= stages.inference.median
    parts = stages.preprocess.median + stages.inference.median + stages.postprocess.median
    assert stages.end_to_end.median == pytest.approx(parts, rel=0.5)
    assert stages.stop_reason in {"ci", "budget", "max-runs"} and stages.probe_detections > 0


def test_result_records_what_the_numbers_mean(tiny_model):
    result = measure_cpu_latency(tiny_model.variant_id, budget_s=0.5, threads=1,
                                 registry=load_registry(tiny_model.registry_dir))
    assert result.kind == "latency-cpu" and result.variant == "tiny-yolox" and result.status == "ok"
    timing = result.timing
    assert result.metrics["latency_cpu_ms"] == timing.stats.median
    assert timing.stats.runs == len(timing.samples) or len(timing.samples) == latency_cpu.MAX_STORED_SAMPLES
    assert timing.stats.ci_low <= timing.stats.median <= timing.stats.ci_high
    assert timing.stats.median <= timing.stats.p95 <= timing.stats.p99 <= timing.stats.max
    assert result.details["latency_end_to_end_ms"] == result.stages.end_to_end.median
    assert "end_to_end" not in result.details and "preprocess" not in result.details  # typed in `stages` now
    # the end-to-end phase runs after the rounds, its own load window judged by the contention rule
    assert result.stages.contention["verdict"] == "quiet"
    assert result.stages.contention["window"]["wall_s"] > 0
    # peak memory from a process of its own: a tiny model's session costs something, far from a GiB
    assert 0 <= result.memory.peak_mb < 1024 and result.memory.baseline_mb > 10
    assert "fresh process" in result.memory.method and "memory_skipped" not in result.details
    settings, rounds = result.settings, result.details["rounds"]  # the target and why the timing stopped
    assert settings["ci_target_rel"] == 0.01 and settings["ci_target"] == "±1% of the median at 95%"
    assert settings["stop_reason"] in {"ci", "budget", "time-cap", "max-rounds"}
    assert settings["stop_reason"] == rounds["stop_reason"] and settings["max_rounds"] == 10
    assert 0 < rounds["timed_s"] <= settings["time_cap_s"] + 0.5
    assert rounds["session_timed_s"] <= rounds["session_budget_s"] + 0.5
    # the speed-up reference was read at both ends of every slot
    assert all(len(slot["reference"]) == 2 for slot in result.details["contention"]["slots"])
    assert result.details["contention"]["reference_normal"]["speedup"] > 1
    rounds = result.details["rounds"]
    assert 1 <= rounds["done"] <= rounds["planned"] == result.settings["rounds"]
    assert len(timing.round_medians_ms) == rounds["done"] == len(result.details["contention"]["slots"])
    calibration = timing.calibration
    assert calibration.median_ms > 0 and len(calibration.per_round_ms) == rounds["done"] + 1
    assert result.details["contention"]["verdict"] == "quiet"
    settings = result.settings
    assert settings["intra_op_threads"] == 1 and settings["inter_op_threads"] == 1 and settings["batch"] == 1
    assert settings["intra_op_spinning"] == "off"
    assert settings["backend"] == "ort-cpu" and settings["input_size"] == 32 and settings["cpu"]
    assert result.provenance.machine.cpu == settings["cpu"]


def test_a_contended_measurement_is_retried_then_marked_unstable(tiny_model):
    """Other processes keep 1.5 of 2 cores busy in every window: wait, retry, then say so."""
    messages = []
    result = measure_cpu_latency(tiny_model.variant_id, budget_s=0.2, threads=1,
                                 registry=load_registry(tiny_model.registry_dir), monitor=ScriptedMonitor([1.5]),
                                 log=messages.append)
    assert result.status == "unstable"
    contention = result.details["contention"]
    assert contention["verdict"] == "busy" and "1.50 of 2 cores" in contention["reasons"][0]
    assert contention["waited_s"] > 0 and any("waiting" in m for m in messages)
    assert result.metrics["latency_cpu_ms"] > 0  # the figure is kept for the record


def test_allow_busy_records_the_evidence_but_publishes(tiny_model):
    result = measure_cpu_latency(tiny_model.variant_id, budget_s=0.2, threads=1,
                                 registry=load_registry(tiny_model.registry_dir), monitor=ScriptedMonitor([1.5]),
                                 allow_busy=True, log=lambda m: None)
    assert result.status == "ok" and result.settings["allow_busy"] is True
    assert result.details["contention"]["verdict"] == "busy" and result.details["contention"]["waited_s"] == 0


def test_a_window_that_clears_is_timed_again(tiny_model):
    """Busy during the first window only: the retry is quiet, so the result is ok."""
    messages = []
    result = measure_cpu_latency(tiny_model.variant_id, budget_s=0.2, threads=1,
                                 registry=load_registry(tiny_model.registry_dir),
                                 monitor=ScriptedMonitor([0.0, 1.5, 0.0]), log=messages.append)
    assert result.status == "ok"
    first = result.details["contention"]["slots"][0]
    assert first["attempts"] == 2 and not first["busy"]
    assert any("timing it again" in m for m in messages)


def test_default_threads_are_recorded_as_onnxruntimes_choice(tiny_model):
    result = measure_cpu_latency(tiny_model.variant_id, budget_s=0.2, registry=load_registry(tiny_model.registry_dir))
    assert result.settings["intra_op_threads"] == "ort default"


@pytest.mark.parametrize("budget", [0, -1, float("nan"), float("inf")])
def test_bad_budgets(tiny_model, budget):
    with pytest.raises(BenchgenError, match="--budget"):
        measure_cpu_latency(tiny_model.variant_id, budget_s=budget, registry=load_registry(tiny_model.registry_dir))


def test_bad_threads(tiny_model):
    with pytest.raises(BenchgenError, match="--threads"):
        measure_cpu_latency(tiny_model.variant_id, threads=0, budget_s=1, registry=load_registry(tiny_model.registry_dir))


def test_stored_samples_are_thinned_evenly():
    samples = [float(i) for i in range(5000)]
    kept = stored_samples(samples)
    assert len(kept) == latency_cpu.MAX_STORED_SAMPLES and kept[0] == 0 and kept[-1] == 4999
    assert stored_samples([1.234567891]) == [1.2346]


def test_probe_image_falls_back_to_fixed_noise(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCHGEN_ROOT", str(tmp_path))
    first, name = probe_image()
    second, _ = probe_image()
    assert name.startswith("synthetic") and first.shape == (480, 640, 3) and (first == second).all()


def test_exported_random_weight_models_skip_end_to_end(tmp_path, monkeypatch):
    """A DAMO-YOLO export with fixed-seed weights: NMS time would be that of ~670,000 candidates."""
    monkeypatch.setenv("BENCHGEN_CACHE_DIR", str(tmp_path / "cache"))
    from benchgen.measure.graph.model_files import ModelFiles

    called = []
    monkeypatch.setattr(latency_cpu, "time_end_to_end", lambda *a, **k: called.append(1) or {})
    registry = load_registry()
    family, variant = registry.variant("damo-yolo-t")
    fake = ModelFiles(family, variant, tmp_path / "x.onnx", "0" * 64, None, "export", None, 0)
    assert not fake.trained and ModelFiles(family, variant, tmp_path / "x.onnx", "0" * 64, None, "export",
                                           tmp_path / "w.pth", None).trained
    result = measure_cpu_latency("damo-yolo-t", budget_s=0.2, threads=1, registry=registry)
    assert not called
    assert result.stages is None and "latency_end_to_end_ms" not in result.details
    assert "random weights" in result.details["end_to_end_skipped"]
    assert result.settings["weights"] == "random (seed 0)"
