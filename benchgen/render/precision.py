"""The INT8 rows of a family page: each trained variant's INT8 mAP with its interval, and what INT8
costs against FP32 on the same images (the paired interval), said as the claim rule allows.

The FP32 columns never read an INT8 result (benchgen.results.merge); this is where INT8 accuracy is
shown. "INT8 costs X AP" is written only where the paired 95 % interval of the difference excludes 0.
"""

from __future__ import annotations

from typing import Any

from benchgen.metrics import METRICS
from benchgen.registry.schema import Family
from benchgen.results.index import ResultHeader


def cost_claim(cost: dict[str, Any]) -> str:
    """The sentence the paired interval allows."""
    difference, low, high = cost["difference"], cost["low"], cost["high"]
    phrase = METRICS["map50_95"].phrase
    if high < 0:
        return f"INT8 costs {phrase(round(-difference, 1))}"
    if low > 0:
        return f"INT8 scores {phrase(round(difference, 1))} higher"
    return "no measurable cost (the paired interval includes 0)"


def int8_accuracy_rows(headers: list[ResultHeader], family: Family) -> list[dict[str, Any]]:
    """One row per variant of `family` with a successful INT8 accuracy carrying its paired cost; the
    newest such result of each (headers are oldest first)."""
    newest: dict[str, ResultHeader] = {}
    for h in headers:
        if h.kind == "accuracy" and h.precision == "int8" and h.status == "ok":
            newest[h.variant] = h
    rows = []
    for variant in family.variants:
        header = newest.get(variant.id)
        if header is None:
            continue
        result = header.load()
        cost = result.details.get("precision_cost")
        interval = result.intervals.get("map50_95")
        if not cost or interval is None:
            continue
        value = result.metrics["map50_95"]
        rows.append({"variant": variant.name, "int8": value, "low": interval.low, "high": interval.high,
                     "fp32": value - cost["difference"], "difference": cost["difference"], "cost_low": cost["low"],
                     "cost_high": cost["high"], "claim": cost_claim(cost), "images": interval.images,
                     "quantiser": result.settings.get("quantiser", ""), "dataset": result.settings.get("dataset", ""),
                     "date": result.provenance.date.strftime("%Y-%m-%d")})
    return rows
