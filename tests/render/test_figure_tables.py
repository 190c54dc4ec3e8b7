"""The compact table beside the CPU headline: median first, then tail, memory, split, or why each is missing."""

from __future__ import annotations

from benchgen.registry import load_registry
from benchgen.render.figure_tables import figure_tables
from benchgen.results.merge import build_table
from benchgen.results.schema import PeakMemory
from tests.conftest import MACHINE, make_result, make_timing


def test_one_row_per_timed_variant_with_every_gap_explained():
    trained = make_result("yolox-nano", "latency-cpu", {"latency_cpu_ms": 4.5})
    trained.timing = make_timing(4.5, samples=[4.0, 4.5, 5.0, 9.0])
    trained.timing.stats.p95, trained.timing.stats.p99, trained.timing.stats.tails_from = 8.0, 8.8, "all runs"
    trained.memory = PeakMemory(peak_mb=40.0, baseline_mb=90.0, runs=5, method="fresh process")
    untrained = make_result("damo-yolo-t", "latency-cpu", {"latency_cpu_ms": 30.0})
    untrained.details = {"end_to_end_skipped": "fixed-seed random weights"}
    table = build_table(load_registry(), [trained, untrained], MACHINE)
    [shown] = figure_tables([table])
    assert shown.headers == ["Model", "median (ms)", "p95 / p99 (ms)", "peak memory (MiB)",
                             "pre / inference / post (ms)"]
    rows = {str(r[0]): [str(c) for c in r[1:]] for r in shown.rows}
    assert set(rows) == {"YOLOX-Nano", "DAMO-YOLO-T"}
    assert rows["YOLOX-Nano"][:3] == ["4.50", "8.00 / 8.80", "40"]
    # the untrained model: no samples (no tail), an older method (no memory), random weights (no split);
    # the trained one lacks only the split here (its result has no stages)
    reasons = [str(r) for r in shown.reasons]
    assert reasons == ["no samples stored", "timed before latency-cpu method 6, which measures peak memory",
                       "fixed-seed random weights", "no end-to-end phase recorded"]
    assert rows["DAMO-YOLO-T"] == ["30.00", "– / –<sup>1</sup>", "–<sup>2</sup>", "– / – / –<sup>3</sup>"]
    assert rows["YOLOX-Nano"][3] == "– / – / –<sup>4</sup>"
