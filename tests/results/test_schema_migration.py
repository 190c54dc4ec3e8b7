"""Schema-1 result files, as committed, read into schema 2's shape: same figures, same pages."""

from __future__ import annotations

import datetime as dt
import filecmp
import json
from pathlib import Path

from benchgen.registry import load_registry
from benchgen.render.pages import SiteRenderer
from benchgen.results.schema import SCHEMA_VERSION, Result
from benchgen.results.store import load_results, write_result
from tests.conftest import make_result
from tests.site.conftest import committed_results

SCHEMA_1_CPU = {
    "kind": "latency-cpu", "metrics": {"latency_cpu_ms": 58.6347},
    "details": {"network": {"runs": 3, "median": 58.6347, "p90": 63.9, "mean": 58.97, "std": 4.0, "min": 51.0,
                            "max": 77.0, "ci_low": 58.01, "ci_high": 59.21, "confidence": 0.95,
                            "samples": [51.0, 58.6347, 77.0]},
                "rounds": {"planned": 5, "done": 2, "round_medians_ms": [54.7, 59.5], "stop_reason": "rounds"},
                "contention": {"verdict": "quiet", "reasons": []},
                "calibration": {"probe_version": 1, "probe": "probe v1", "median_ms": 6.6, "before_ms": 7.0,
                                "after_ms": 6.3, "drift": -0.1, "per_round_ms": [7.0, 6.6, 6.3]},
                "stop_reasons": {"network": "rounds"}}}


def _schema_1(**fields) -> dict:
    doc = make_result("alpha-s", "size", {"params_m": 1.0, "flops_g": 1.0}).model_dump(mode="json")
    for key in ("timing", "detections_key"):
        doc.pop(key)
    return {**doc, "schema_version": 1, **fields}


def test_a_schema_1_timing_is_read_into_the_timing_block():
    result = Result.model_validate(_schema_1(**SCHEMA_1_CPU))
    timing = result.timing
    assert (timing.stats.median, timing.stats.ci_low, timing.stats.ci_high, timing.stats.runs) == (58.6347, 58.01,
                                                                                                   59.21, 3)
    assert timing.samples == [51.0, 58.6347, 77.0] and timing.round_medians_ms == [54.7, 59.5]
    assert timing.calibration.median_ms == 6.6 and timing.calibration.per_round_ms == [7.0, 6.6, 6.3]
    # moved, not copied: one place for each number; the rest of the details untouched
    assert "network" not in result.details and "calibration" not in result.details
    assert result.details["rounds"] == {"planned": 5, "done": 2, "stop_reason": "rounds"}
    assert result.details["contention"] == {"verdict": "quiet", "reasons": []}


def test_each_backend_kept_its_timing_under_its_own_key():
    stats = {"runs": 200, "median": 1.5, "p90": 1.6, "mean": 1.5, "std": 0.01, "min": 1.4, "max": 1.7,
             "ci_low": 1.49, "ci_high": 1.51, "confidence": 0.95}
    for kind, metric, key in (("latency-gpu", "latency_trt_ms", "gpu_compute"),
                              ("latency-torch-cuda", "latency_torch_cuda_ms", "compute")):
        result = Result.model_validate(_schema_1(kind=kind, metrics={metric: 1.5}, details={key: stats}))
        assert result.timing.stats.median == 1.5 and result.timing.samples == [] and key not in result.details


def test_accuracy_keeps_its_detections_key_in_its_own_field():
    doc = _schema_1(kind="accuracy", metrics={"map50_95": 25.0}, cache_key="plan-key",
                    details={"measure_cache_key": "detections-key", "images": 80})
    result = Result.model_validate(doc)
    assert (result.cache_key, result.detections_key, result.details) == ("plan-key", "detections-key", {"images": 80})


def test_a_failed_schema_1_latency_has_no_timing():
    result = Result.model_validate(_schema_1(kind="latency-cpu", metrics={}, status="failed", error="boom",
                                             details={"traceback": ["x"]}))
    assert result.timing is None and result.details == {"traceback": ["x"]}


def _render(results_dir: Path, docs: Path) -> None:
    now = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.timezone.utc)  # the pages say when they were generated
    renderer = SiteRenderer(load_registry(), load_results(results_dir), now=now)
    docs.mkdir(parents=True)
    renderer.write(docs, 1)


def test_the_committed_results_render_the_same_pages_read_as_schema_1_or_rewritten_as_schema_2(tmp_path):
    """The reader changes nothing a page shows: the committed (schema-1) files, and the same results
    written back in schema 2, render byte-identical pages and chart data."""
    committed = committed_results(tmp_path / "committed")
    originals = load_results(committed)
    assert sum(json.loads(p.read_text())["schema_version"] == 1 for p in committed.rglob("*.json")) > 100
    assert all(r.timing is not None for r in originals if r.kind.startswith("latency") and r.status != "failed")
    rewritten = tmp_path / "rewritten" / "results"
    for result in originals:
        write_result(result.model_copy(update={"schema_version": SCHEMA_VERSION}), rewritten)
    assert {json.loads(p.read_text())["schema_version"] for p in rewritten.rglob("*.json")} == {SCHEMA_VERSION}
    _render(committed, tmp_path / "a")
    _render(rewritten, tmp_path / "b")
    pages = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert len(pages) > 200
    _, mismatch, errors = filecmp.cmpfiles(tmp_path / "a", tmp_path / "b", [str(p) for p in pages], shallow=False)
    assert mismatch == [] and errors == []
