"""The figures beside a headline: schema-2 files read into the typed fields, values or why each is missing."""

from __future__ import annotations

import json

import numpy as np

from benchgen.cli.listing import figures
from benchgen.metrics import FIGURES
from benchgen.results.figures import figure_value, figures_record
from benchgen.results.frame import load_frame
from benchgen.results.schema import PeakMemory, Result
from benchgen.results.store import write_result
from tests.conftest import make_result, make_timing

STATS = {"runs": 40, "median": 1.0, "p90": 1.2, "mean": 1.05, "std": 0.1, "min": 0.9, "max": 1.6, "ci_low": 0.98,
         "ci_high": 1.02, "confidence": 0.95}


def _schema_2_trained() -> dict:
    """A schema-2 latency-cpu file of a trained model, its end-to-end split untyped in details."""
    result = make_result("alpha-s", "latency-cpu", {"latency_cpu_ms": 5.0})
    result.timing = make_timing(5.0, samples=list(np.linspace(4.0, 14.0, 101)))
    doc = result.model_dump(mode="json", exclude={"stages", "memory"})
    doc["schema_version"] = 2
    for key in ("p95", "p99", "tails_from"):
        doc["timing"]["stats"].pop(key)
    doc["details"] = {"end_to_end": {**STATS, "median": 7.0}, "preprocess": {**STATS, "median": 0.5},
                      "network_in_pipeline": {**STATS, "median": 5.1}, "postprocess": {**STATS, "median": 1.4},
                      "probe_detections": 12, "end_to_end_stop_reason": "ci", "latency_end_to_end_ms": 7.0,
                      "end_to_end_contention": {"verdict": "quiet", "reasons": []}, "rounds": {"done": 5}}
    return doc


def test_a_schema_2_split_is_read_into_typed_stages_and_its_tails_from_the_samples():
    result = Result.model_validate(_schema_2_trained())
    stages = result.stages
    assert (stages.preprocess.median, stages.inference.median, stages.postprocess.median,
            stages.end_to_end.median) == (0.5, 5.1, 1.4, 7.0)
    assert stages.stop_reason == "ci" and stages.probe_detections == 12 and stages.contention["verdict"] == "quiet"
    # moved, not copied; the rest of the details untouched
    assert not {"preprocess", "network_in_pipeline", "end_to_end", "end_to_end_contention"} & set(result.details)
    assert result.details["rounds"] == {"done": 5} and result.details["latency_end_to_end_ms"] == 7.0
    # 101 evenly spread samples from 4 to 14: the 95th is 13.5, the 99th 13.9, and the file says whence
    assert result.timing.stats.p95 == 13.5 and result.timing.stats.p99 == 13.9
    assert result.timing.stats.tails_from == "stored samples"


def test_a_schema_3_result_round_trips(tmp_path):
    result = Result.model_validate(_schema_2_trained())
    result.memory = PeakMemory(peak_mb=41.5, baseline_mb=60.0, runs=5, method="fresh process")
    path = write_result(result, tmp_path)
    again = Result.model_validate(json.loads(path.read_text()))
    assert again.stages == result.stages and again.memory.peak_mb == 41.5


def test_every_missing_figure_says_why():
    untrained = make_result("alpha-s", "latency-cpu", {"latency_cpu_ms": 5.0})
    untrained.timing = make_timing(5.0)  # no samples: no tails either
    untrained.details = {"end_to_end_skipped": "fixed-seed random weights: ...", "memory_skipped": "child died"}
    record = figures_record(untrained)
    assert set(record) == set(FIGURES)
    assert record["latency_cpu_p50_ms"] == 5.0
    assert record["latency_cpu_p95_ms"] == {"missing": "no samples stored"}
    assert record["peak_memory_mib"] == {"missing": "child died"}
    assert record["preprocess_ms"] == {"missing": "fixed-seed random weights: ..."}
    older = make_result("alpha-s", "latency-cpu", {"latency_cpu_ms": 5.0})
    assert "method 6" in figure_value(older, FIGURES["peak_memory_mib"])[1]
    # a result of another kind has none of them
    assert figures_record(make_result("alpha-s", "size", {"params_m": 1.0, "flops_g": 1.0})) == {}


def test_frame_and_listing_carry_the_figures(tmp_path):
    trained = Result.model_validate(_schema_2_trained())
    trained.memory = PeakMemory(peak_mb=41.5, baseline_mb=60.0, runs=5, method="fresh process")
    write_result(trained, tmp_path)
    frame = load_frame(tmp_path)
    row = frame.iloc[0]
    assert (row["latency_cpu_p99_ms"], row["peak_memory_mib"], row["inference_ms"]) == (13.9, 41.5, 5.1)
    listed = figures([trained], "alpha-s")[trained.provenance.machine.id]
    assert listed["peak_memory_mib"] == 41.5 and listed["postprocess_ms"] == 1.4
    assert listed["latency_cpu_p95_ms"]["value"] == 13.5 and "stored samples" in listed["latency_cpu_p95_ms"]["caveat"]
