"""The INT8 rows of a family page and the sentence the paired interval allows."""

from __future__ import annotations

from benchgen.registry import load_registry
from benchgen.render.precision import cost_claim, int8_accuracy_rows
from benchgen.results.index import as_headers
from benchgen.results.schema import Result
from tests.conftest import make_result, two_family_docs, write_registry


def test_a_cost_is_claimed_only_where_the_paired_interval_excludes_zero():
    assert cost_claim({"difference": -5.8628, "low": -8.47, "high": -4.03}) == "INT8 costs 5.9 AP"
    assert cost_claim({"difference": 0.6, "low": 0.1, "high": 1.2}) == "INT8 scores 0.6 AP higher"
    assert cost_claim({"difference": -0.85, "low": -1.77, "high": 0.41}).startswith("no measurable cost")


def test_rows_come_from_int8_accuracy_results_with_their_paired_cost(tmp_path):
    registry = load_registry(write_registry(tmp_path / "reg", two_family_docs()))
    family = registry.families[0]
    variant = family.variants[0].id
    interval = {"low": 22.1, "high": 30.2, "method": "percentile bootstrap over images", "images": 80}
    cost = {"difference": -5.86, "low": -8.47, "high": -4.03, "excludes_zero": True}
    base = make_result(variant, "accuracy", {"map50_95": 26.34}).model_dump()
    int8 = Result.model_validate({**base, "precision": "int8", "intervals": {"map50_95": interval},
                                  "details": {"precision_cost": cost}})
    fp32 = make_result(variant, "accuracy", {"map50_95": 32.2})
    (row,) = int8_accuracy_rows(as_headers([fp32, int8]), family)
    assert row["fp32"] == 26.34 + 5.86 and row["claim"] == "INT8 costs 5.9 AP" and row["images"] == 80
    assert int8_accuracy_rows(as_headers([fp32]), family) == []


def test_the_chart_gets_an_int8_series_of_each_trained_variant_beside_its_family(tmp_path):
    from benchgen.render.chart_data import chart_data
    from benchgen.render.precision import int8_chart_rows
    from benchgen.results.merge import build_table
    from tests.conftest import MACHINE

    registry = load_registry(write_registry(tmp_path / "reg", two_family_docs()))
    family = registry.families[0]
    variant = family.variants[0].id
    accuracy = make_result(variant, "accuracy", {"map50_95": 26.3}).model_copy(update={"precision": "int8"})
    latency = make_result(variant, "latency-cpu", {"latency_cpu_ms": 7.5}).model_copy(update={"precision": "int8"})
    elsewhere = make_result(family.variants[1].id, "latency-cpu", {"latency_cpu_ms": 3.0}).model_copy(
        update={"precision": "int8"})  # an INT8 latency without an INT8 mAP: not on an accuracy chart
    headers = as_headers([accuracy, latency, elsewhere])
    (row,) = int8_chart_rows(headers, registry, MACHINE.id)
    assert (row["family"], row["map"], row["latency_cpu_ms"]) == (f"{family.id}@int8", 26.3, 7.5)
    assert int8_chart_rows(headers, registry, "another-machine") == []
    table = build_table(registry, headers, MACHINE)
    data = chart_data([(f.id, f.name) for f in registry.families], [table], table, "now", {MACHINE.id: [row]})
    series = [f for f in data["families"] if f["id"] == f"{family.id}@int8"]
    assert series and series[0]["dashed"] and series[0]["name"].endswith(" INT8")
    (view,) = [v for v in data["views"] if v["id"] == MACHINE.id]
    assert row in view["rows"]
    # no INT8 rows: the data is what it was
    plain = chart_data([(f.id, f.name) for f in registry.families], [table], table, "now")
    assert all("@" not in f["id"] for f in plain["families"])
