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
