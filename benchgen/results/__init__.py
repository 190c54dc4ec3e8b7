"""Measurement results: schema, provenance, storage, and `load_frame()` for pandas."""

from benchgen.results.schema import Machine, Provenance, Result, Timing, result_json_schema
from benchgen.results.store import DEFAULT_RESULTS_DIR, load_results, write_result


def load_frame(results_dir=None, registry=None):
    """One pandas row per result file; see benchgen.results.frame.load_frame (imported lazily: pandas)."""
    from benchgen.results.frame import load_frame as _load_frame

    return _load_frame(results_dir, registry)


def visible_frame(frame):
    """`frame` with every string through the pages' visible-text rule; see benchgen.results.frame.visible_frame."""
    from benchgen.results.frame import visible_frame as _visible_frame

    return _visible_frame(frame)


__all__ = ["DEFAULT_RESULTS_DIR", "Machine", "Provenance", "Result", "Timing", "load_frame", "load_results",
           "result_json_schema", "visible_frame", "write_result"]
