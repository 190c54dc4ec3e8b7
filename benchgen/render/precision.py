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


#: how the chart names a family's INT8 series (its own legend entry, drawn dashed)
INT8_SUFFIX = "@int8"


def int8_chart_rows(headers: list[ResultHeader], registry, machine_id: str) -> list[dict[str, Any]]:
    """Chart rows of the INT8 graphs measured on `machine_id`: each trained variant with an INT8 mAP
    (any machine: accuracy is not machine-bound) and at least one INT8 CPU latency on this machine,
    as a family of its own ("<family>@int8"), so the chart draws it beside, not into, the FP32 line."""
    from benchgen.metrics import chart_latencies

    accuracy: dict[str, float] = {}
    latency: dict[tuple[str, str], float] = {}
    for h in headers:  # oldest first: the newest wins
        if h.precision != "int8" or h.status != "ok":
            continue
        if h.kind == "accuracy" and "map50_95" in h.metrics:
            accuracy[h.variant] = h.metrics["map50_95"]
        elif h.machine_id == machine_id:
            for metric, value in h.metrics.items():
                latency[(h.variant, metric)] = value
    rows = []
    for family, variant in registry.variants():
        if variant.id not in accuracy:
            continue
        item: dict[str, Any] = {"variant": variant.id + INT8_SUFFIX, "name": f"{variant.name} INT8",
                                "family": family.id + INT8_SUFFIX, "map": accuracy[variant.id],
                                "map_origin": "measured"}
        for metric in chart_latencies():
            item[metric.id] = latency.get((variant.id, metric.id))
        if any(item[m.id] is not None for m in chart_latencies()):
            rows.append(item)
    return rows
