"""The figures beside a headline (benchgen.metrics.FIGURES), read from a result, or why it has none.

A page, `benchgen list --json` and `load_frame()` all read them here, so "why is there no p99 / no
memory / no split for this model" has one answer everywhere.
"""

from __future__ import annotations

from typing import Any

from benchgen.metrics import FIGURES, Figure
from benchgen.results.schema import Result


def _follow(result: Result, path: str) -> Any:
    value: Any = result
    for name in path.split("."):
        value = getattr(value, name, None)
        if value is None:
            return None
    return value


def figure_value(result: Result, figure: Figure) -> tuple[float | None, str | None]:
    """(value, None), or (None, why the result has no such figure)."""
    value = _follow(result, figure.path)
    if value is not None:
        return float(value), None
    said = result.details.get(figure.why_missing_key) if figure.why_missing_key else None
    return None, str(said) if said else figure.missing_text


def figure_caveat(result: Result, figure: Figure) -> str | None:
    """What a page adds to the figure when it was computed from something else than usual."""
    if figure.source_path is None:
        return None
    source = _follow(result, figure.source_path)
    return figure.caveat if source is not None and source != figure.usual_source else None


def figure_values(result: Result | None, metric: str | None = None) -> dict[str, float | None]:
    """Figure id -> value (None where missing), for a frame row: every figure of the table, or those
    beside `metric`; a result of another kind leaves them all empty."""
    out: dict[str, float | None] = {}
    for figure in FIGURES.values():
        if metric is not None and figure.of != metric:
            continue
        value = None
        if result is not None and figure.of in result.metrics:
            value, _ = figure_value(result, figure)
        out[figure.id] = value
    return out


def figures_record(result: Result) -> dict[str, Any]:
    """For JSON: each figure of the result's metrics, its value or {"missing": why}."""
    record: dict[str, Any] = {}
    for figure in FIGURES.values():
        if figure.of in result.metrics:
            value, why = figure_value(result, figure)
            caveat = figure_caveat(result, figure)
            record[figure.id] = {"missing": why} if why is not None else {"value": value, "caveat": caveat} \
                if caveat else value
    return record
