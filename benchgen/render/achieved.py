"""Beside each measured CPU latency: the rate it sustains, the graph's FLOPs over its median.

Compact on purpose (one figure under the latency): it says how far a detector is from what the CPU
can multiply-add, the roofline reading the methodology page explains (benchgen.measure.timing.peak_flops).
Only benchgen's own graph count is used, never a published FLOPs figure (those count by other rules).
"""

from __future__ import annotations

from benchgen.metrics import KINDS, METRICS
from benchgen.results.merge import Cell


def achieved_text(metric: str, cells: dict[str, Cell], peaks: dict[str, dict[str, float]] | None = None) -> str | None:
    """e.g. "99 GFLOP/s, 31 % of peak" for a measured CPU latency whose row has a measured FLOPs
    count (the share where its machine saved a peak, `benchgen peak --save`); else None. An INT8
    graph's rate is integer operations ("GOP/s"), read against the machine's INT8 probe."""
    latency, flops = cells.get(metric), cells.get("flops_g")
    if latency is None or latency.measured is None or not KINDS[METRICS[metric].kind].cpu_contention:
        return None
    if flops is None or flops.measured is None:
        return None
    median_ms = latency.measured.metrics.get(metric)
    count = flops.measured.metrics.get("flops_g")
    if not median_ms or not count:
        return None
    rate = count / (median_ms / 1000.0)
    precision = latency.measured.precision
    peak = (peaks or {}).get(latency.measured.provenance.machine.id, {}).get(precision)
    unit = "GFLOP/s" if precision == "fp32" else "GOP/s"
    return f"{rate:.0f} {unit}" + (f", {rate / peak:.0%} of {precision.upper()} peak" if peak else "")
