"""An INT8 result is a record of its own: its file, its header, never an FP32 column's figure."""

from __future__ import annotations

from benchgen.registry import load_registry
from benchgen.results.index import ResultHeader, load_headers
from benchgen.results.merge import build_table
from benchgen.results.schema import Result
from benchgen.results.store import result_path, write_result
from tests.conftest import MACHINE, make_result, make_timing, two_family_docs, write_registry


def int8(result: Result) -> Result:
    return result.model_copy(update={"precision": "int8"})


def test_precision_defaults_to_fp32_and_is_in_the_file_name_only_when_not(tmp_path):
    fp32 = make_result("a-s", "latency-cpu", {"latency_cpu_ms": 5.0})
    assert fp32.precision == "fp32" and result_path(tmp_path, fp32).name.endswith("Z.json")
    assert result_path(tmp_path, int8(fp32)).name.endswith("Z-int8.json")
    assert "precision" in Result.model_json_schema()["properties"]


def test_an_int8_latency_never_stands_in_the_fp32_column(tmp_path):
    registry = load_registry(write_registry(tmp_path / "reg", two_family_docs()))
    variant = registry.families[0].variants[0].id
    fp32 = make_result(variant, "latency-cpu", {"latency_cpu_ms": 9.0})
    fp32.timing = make_timing(9.0)
    newer = make_result(variant, "latency-cpu", {"latency_cpu_ms": 3.0},
                        when=fp32.provenance.date.replace(hour=5))
    newer.timing = make_timing(3.0)
    for result in (fp32, int8(newer)):
        write_result(result, tmp_path / "results")
    headers = load_headers(tmp_path / "results")
    assert sorted(h.precision for h in headers) == ["fp32", "int8"]
    table = build_table(registry, headers, MACHINE)
    assert table.row(variant).cells["latency_cpu_ms"].measured.metrics == {"latency_cpu_ms": 9.0}


def test_the_header_carries_the_precision(tmp_path):
    result = int8(make_result("a-s", "accuracy", {"map50_95": 30.0}))
    header = ResultHeader.of(result)
    assert header.precision == "int8" and header.load() is result
