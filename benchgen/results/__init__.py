"""Measurement results: schema, provenance, storage."""

from benchgen.results.schema import KIND_METRICS, Machine, Provenance, Result, result_json_schema
from benchgen.results.store import DEFAULT_RESULTS_DIR, load_results, write_result

__all__ = ["DEFAULT_RESULTS_DIR", "KIND_METRICS", "Machine", "Provenance", "Result", "load_results",
           "result_json_schema", "write_result"]
