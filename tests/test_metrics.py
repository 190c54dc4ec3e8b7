"""The metric table is the one place a backend's facts live: a fake backend, registered here and
nowhere else, goes through plan, measurement, results, table, chart and claims."""

from __future__ import annotations

import json
import re

import pytest

from benchgen import metrics
from benchgen.cli import main
from benchgen.metrics import Backend, Kind, Metric
from benchgen.registry import load_registry
from benchgen.render.claims import DEFAULT, point
from benchgen.render.table_view import column_label, shown_metrics
from benchgen.results.merge import build_table, machines
from benchgen.results.provenance import collect_provenance, current_machine
from benchgen.results.schema import Result, Timing
from benchgen.results.store import load_results
from tests.refresh.conftest import byo_registry, tiny_project  # noqa: F401 - the fixture

FAKE_MACHINE = "npu-test-machine"
#: what the fake accelerator "times" per variant: tiny-0 clearly faster than tiny-1
FAKE_MS = {"tiny-0": 1.0, "tiny-1": 3.0}


def fake_measure(request) -> Result:
    """The fake backend's measuring module: a timing with its statistics, as a real backend's."""
    median = FAKE_MS[request.variant.id]
    stats = {"runs": 200, "median": median, "p90": median * 1.01, "mean": median, "std": 0.001, "min": median * 0.99,
             "max": median * 1.02, "ci_low": median * 0.999, "ci_high": median * 1.001, "confidence": 0.95}
    machine = current_machine().model_copy(update={"id": FAKE_MACHINE, "label": "Fake NPU box", "gpu": "Fake NPU 1"})
    return Result(variant=request.variant.id, kind="latency-fake", metrics={"latency_fake_ms": median},
                  timing=Timing(stats=stats, samples=[median] * 5, round_medians_ms=[median, median * 1.002]),
                  settings={"backend": "fake-npu"}, provenance=collect_provenance(machine))


FAKE = (
    Metric("latency_fake_ms", "Fake NPU (ms)", "ms", "lower", 2, (0.0, 600_000.0, False), "latency-fake",
           source_tolerance=("relative", 0.05), regression=("relative", 0.10), phrase=lambda v: f"{v:.2f} ms",
           reported=False, timed=True, chart_label="Fake NPU", chart_rank=3, gpu_column=True, name="latency"),
    Kind("latency-fake", ("latency_fake_ms",), 1, machine_bound=True, measure=fake_measure, history=True,
         engine="a fake NPU"),
    Backend("fake-npu", ("latency-fake",), machine=lambda: FAKE_MACHINE, fingerprint=lambda: {"npu_sdk": "1.0"}),
)


def test_a_backend_added_to_the_table_alone_is_planned_measured_tabled_charted_and_claimed(tiny_project, tmp_path,
                                                                                           capsys):
    _, onnx_path = tiny_project
    registry_dir = byo_registry(tmp_path / "reg", onnx_path, variants=2)
    results_dir, docs = tmp_path / "results", tmp_path / "docs"
    args = ["refresh", "--no-builtin", "--registry", str(registry_dir), "--results", str(results_dir),
            "--docs", str(docs), "--backend", "fake-npu"]
    with metrics.registered(*FAKE):
        # plan
        assert main([*args, "--dry-run"]) == 0
        planned = capsys.readouterr().out
        assert re.search(r"run\s+tiny-0 latency-fake \(fake-npu\)", planned) and "2 of 2 measurements" in planned
        # measure and store
        assert main(args) == 0
        results = load_results(results_dir)
        assert {(r.variant, r.kind, r.provenance.machine.id, r.status) for r in results} == {
            ("tiny-0", "latency-fake", FAKE_MACHINE, "ok"), ("tiny-1", "latency-fake", FAKE_MACHINE, "ok")}
        assert all(r.cache_key for r in results)
        assert main([*args, "--dry-run"]) == 0
        assert "0 of 2 measurements would run" in capsys.readouterr().out
        # table: the measured-only column appears, headed by its label and the view's GPU
        registry = load_registry(registry_dir)
        (machine,) = machines(results)
        table = build_table(registry, results, machine)
        assert "latency_fake_ms" in shown_metrics(table)
        assert "Fake NPU (ms)" in column_label("latency_fake_ms", table) and "Fake NPU 1" in column_label(
            "latency_fake_ms", table)
        assert table.latency_counts == (2, 0)
        page = (docs / "families" / "tiny.md").read_text()
        assert "Fake NPU (ms)" in page and "1.00" in page and "3.00" in page
        # chart
        script = (docs / "assets" / "generated" / "benchgen-data.js").read_text()
        data = json.loads(script.split("=", 1)[1].rsplit(";", 1)[0])
        assert data["latencyMetrics"]["latency_fake_ms"] == "Fake NPU"
        (view,) = [v for v in data["views"] if v["id"] == FAKE_MACHINE]
        assert {r["variant"]: r["latency_fake_ms"] for r in view["rows"]} == FAKE_MS
        # claims: the timing block's interval and round medians give the claim rule its ranges
        fast, slow = (point(table.row(v).cells["latency_fake_ms"]) for v in ("tiny-0", "tiny-1"))
        assert (fast.low, fast.high) == (pytest.approx(0.999), pytest.approx(1.002))
        assert DEFAULT.lower_cost("latency_fake_ms", fast, slow).winner == 1
    assert "latency_fake_ms" not in metrics.METRICS and "fake-npu" not in metrics.BACKENDS


def test_benchgen_latency_times_a_table_backend_through_its_measuring_function(tiny_project, tmp_path, capsys):
    _, onnx_path = tiny_project
    registry_dir = byo_registry(tmp_path / "reg", onnx_path, variants=2)
    with metrics.registered(*FAKE):
        assert main(["latency", "tiny-1", "--backend", "fake-npu", "--no-builtin", "--registry", str(registry_dir),
                     "--results", str(tmp_path / "results")]) == 0
        (result,) = load_results(tmp_path / "results")
    assert "tiny-1: Fake NPU (ms) median 3.000 ms (p90 3.030, 200 runs) [ok]" in capsys.readouterr().out
    assert (result.kind, result.provenance.machine.id, result.metrics) == ("latency-fake", FAKE_MACHINE,
                                                                          {"latency_fake_ms": 3.0})


def test_the_table_holds_together():
    metrics.check()
    for metric in metrics.METRICS.values():
        assert metric.implausible(metric.plausible[1] * 2) is not None
        if metric.timed:
            assert metric.chart_label and metric.chart_rank is not None
    for kind in metrics.KINDS.values():
        assert kind.engine, kind.id
    with pytest.raises(ValueError, match="does not list it"):
        with metrics.registered(FAKE[0]):
            pass
    assert "latency_fake_ms" not in metrics.METRICS


def test_the_front_page_names_the_tolerances_and_engines_of_the_table():
    """The numbers and engine names the site quotes come from the table (the template spells none)."""
    text = metrics.source_tolerance_text()
    assert text == "mAP 0.2 AP, latency 5 %, parameters 5 %, FLOPs 5 %"
    assert "faster-coco-eval" in metrics.KINDS["accuracy"].engine


def test_the_openvino_backend_is_its_modules_and_its_three_entries():
    """Nothing outside its own measuring modules and the table names it: the rounds, refresh, results,
    pages and CLI find it through the table (as they would a plugin's backend)."""
    from pathlib import Path

    root = Path(metrics.__file__).parent
    naming = sorted(str(p.relative_to(root)) for p in root.rglob("*.py")
                    if "openvino-cpu" in p.read_text() or "latency_openvino" in p.read_text())
    assert naming == ["measure/backends/openvino_runner.py", "measure/timing/latency_openvino.py", "metrics.py"]
    assert [m.id for m in metrics.METRICS.values() if m.kind == "latency-openvino-cpu"] == ["latency_openvino_cpu_ms"]
    assert [b.id for b in metrics.BACKENDS.values() if "latency-openvino-cpu" in b.kinds] == ["openvino-cpu"]
