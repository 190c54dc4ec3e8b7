"""A validation error is one line: file, field, problem, fix (issue 23: results ended in four
lines of pydantic's own text with a link to its site)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from benchgen.registry.schema import Family
from benchgen.results.schema import Result
from benchgen.schema_errors import known_keys, one_line
from tests.conftest import family_doc, make_result, variant_doc


def _error(model, doc) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        model.model_validate(doc)
    return info.value


def test_an_unknown_key_lists_the_keys_allowed_where_it_is():
    doc = make_result("alpha-s", "size", {"params_m": 1.0, "flops_g": 1.0}).model_dump(mode="json")
    doc["provenance"]["machine"]["cpus"] = 2
    line = one_line(_error(Result, doc), "r.json", Result, "delete it")
    assert line == ("r.json: provenance.machine.cpus: unknown key; remove it or correct its spelling (keys allowed "
                    "here: cpu, cpu_count, cuda, gpu, gpu_driver, host_id, id, label, memory_gb, os, python)")


def test_keys_are_found_through_lists_and_dict_values():
    assert "source_name" in known_keys(Family, ("variants", 0, "reported", "map50_95", 0))
    assert "relation" in known_keys(Family, ("other_models", 2))
    assert known_keys(Family, ("variants", 0, "reported")) is None  # its keys are metric names, not fields


def test_several_problems_one_line_the_first_described_the_others_named():
    doc = family_doc("alpha", "Alpha", [variant_doc("alpha-s", "huge", 40, 2, 10)])
    del doc["name"]
    doc["licence"] = "MIT"
    line = one_line(_error(Family, doc), "alpha.yaml", Family, "correct the value in the file")
    assert "\n" not in line and "pydantic" not in line
    assert line.startswith("alpha.yaml: name: required key missing; add it (also at fault: ")
    assert "variants[0].scale (invalid value)" in line and "licence (unknown key)" in line


def test_a_validator_that_says_what_to_do_keeps_its_own_fix():
    doc = family_doc("alpha", "Alpha", [variant_doc("alpha-s", "s", 40, 2, 10)])
    doc["variants"][0]["reported"]["map50_95"] = []
    line = one_line(_error(Family, doc), "alpha.yaml", Family, "correct the value in the file")
    assert line.endswith("reported.map50_95 is an empty list; remove it or add a value")
