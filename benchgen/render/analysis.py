"""Analysis sentences generated from the table's numbers, so the prose cannot contradict the table.

Each finding is computed, then phrased: swap the numbers and the sentence flips. Latency is only
compared between values that are comparable — all measured on the same machine, or all reported
for the same hardware — and the sentence says which basis it used.
"""

from __future__ import annotations

from dataclasses import dataclass

from benchgen.registry.schema import METRICS
from benchgen.results.merge import Row, Table

SCALE_NAMES = {"n": "nano", "t": "tiny", "s": "small", "m": "medium", "l": "large", "x": "extra-large"}


@dataclass(frozen=True)
class Finding:
    topic: str  # "accuracy" | "speed" | "params" | "pareto"
    text: str
    winner: str | None = None  # family id favoured by the finding, if any


@dataclass(frozen=True)
class LatencyBasis:
    metric: str
    description: str
    measured: bool
    caveat: str | None = None


def _value(row: Row, metric: str) -> float | None:
    return row.cells[metric].value


def latency_bases(table: Table) -> list[LatencyBasis]:
    """Latency columns on which every row can be compared fairly, measured bases first."""
    bases = []
    rows = table.rows
    for metric in ("latency_trt_ms", "latency_torch_cuda_ms", "latency_cpu_ms"):
        cells = [r.cells[metric] for r in rows]
        label = METRICS[metric]["label"].replace(" (ms)", "")
        if cells and all(c.origin == "measured" for c in cells) and table.machine is not None:
            bases.append(LatencyBasis(metric, f"{label} latency measured by benchgen on {table.machine.label}", True))
        elif cells and all(c.origin == "reported" for c in cells):
            preferred = [c.preferred for c in cells]
            hardware = {p.hardware for p in preferred}
            if len(hardware) != 1 or None in hardware:
                continue
            post = {p.includes_postprocess for p in preferred}
            caveat = None
            if len(post) > 1:
                with_post = sorted({r.family.name for r, p in zip(rows, preferred) if p.includes_postprocess})
                without = sorted({r.family.name for r, p in zip(rows, preferred) if p.includes_postprocess is False})
                caveat = (f"the reported figures are not like for like: those of {', '.join(with_post)} include "
                          f"post-processing, those of {', '.join(without)} exclude NMS")
            bases.append(LatencyBasis(metric, f"reported {hardware.pop()} {label} latency", False, caveat))
    return sorted(bases, key=lambda basis: not basis.measured)


def _fmt(metric: str, value: float) -> str:
    if metric == "map50_95":
        return f"{value:.1f} AP"
    if metric.startswith("latency"):
        return f"{value:.2f} ms"
    if metric == "params_m":
        return f"{value:.1f} M parameters"
    return f"{value:.1f} GFLOPs"


def accuracy_at_matched_scale(table: Table, a: str, b: str) -> list[Finding]:
    findings = []
    wins = {a: 0, b: 0}
    for scale in SCALE_NAMES:
        rows_a = [r for r in table.rows if r.family.id == a and r.variant.scale == scale]
        rows_b = [r for r in table.rows if r.family.id == b and r.variant.scale == scale]
        for ra in rows_a:
            for rb in rows_b:
                ma, mb = _value(ra, "map50_95"), _value(rb, "map50_95")
                if ma is None or mb is None:
                    continue
                if ma == mb:
                    findings.append(Finding("accuracy", f"At the {SCALE_NAMES[scale]} tier, {ra.variant.name} and "
                                            f"{rb.variant.name} are equally accurate ({ma:.1f} AP)."))
                    continue
                hi, lo, mhi, mlo = (ra, rb, ma, mb) if ma > mb else (rb, ra, mb, ma)
                wins[hi.family.id] += 1
                findings.append(Finding(
                    "accuracy",
                    f"At the {SCALE_NAMES[scale]} tier, {hi.variant.name} ({mhi:.1f} AP) is {mhi - mlo:.1f} AP more "
                    f"accurate than {lo.variant.name} ({mlo:.1f} AP).",
                    winner=hi.family.id,
                ))
    total = wins[a] + wins[b]
    if total:
        names = {r.family.id: r.family.name for r in table.rows}
        leader = a if wins[a] >= wins[b] else b
        if wins[a] == wins[b]:
            summary = f"Across matched size tiers, neither family is consistently more accurate ({wins[a]} to {wins[b]})."
            leader = None
        else:
            summary = (f"{names[leader]} is more accurate in {wins[leader]} of {total} matched-tier comparisons.")
        findings.insert(0, Finding("accuracy", summary, winner=leader))
    return findings


def interpolate(points: list[tuple[float, float]], x: float) -> float | None:
    """Piecewise-linear y at x over points sorted by x; None outside their range (no extrapolation)."""
    points = sorted(points)
    if not points or x < points[0][0] or x > points[-1][0]:
        return None
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        if x0 <= x <= x1:
            return y0 if x1 == x0 else y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return points[0][1]


def cost_at_matched_accuracy(table: Table, a: str, b: str, metric: str, topic: str,
                             basis: str | None = None) -> list[Finding]:
    """For each variant, the other family's cost (latency or params) at the same AP, interpolated."""
    names = {r.family.id: r.family.name for r in table.rows}
    findings = []
    cheaper = {a: 0, b: 0}
    for this, other in ((a, b), (b, a)):
        curve = [(_value(r, "map50_95"), _value(r, metric)) for r in table.rows if r.family.id == other]
        curve = [(x, y) for x, y in curve if x is not None and y is not None]
        for row in (r for r in table.rows if r.family.id == this):
            ap, cost = _value(row, "map50_95"), _value(row, metric)
            if ap is None or cost is None:
                continue
            other_cost = interpolate(curve, ap)
            if other_cost is None or other_cost == cost:
                continue
            winner = this if cost < other_cost else other
            cheaper[winner] += 1
            ratio = max(cost, other_cost) / min(cost, other_cost)
            findings.append(Finding(
                topic,
                f"At {row.variant.name}'s accuracy ({ap:.1f} AP), {names[other]} needs about "
                f"{_fmt(metric, other_cost)} (interpolated) against {_fmt(metric, cost)}: "
                f"{names[winner]} is {ratio:.2f}x {'faster' if topic == 'speed' else 'leaner'} here.",
                winner=winner,
            ))
    total = cheaper[a] + cheaper[b]
    if total:
        what = "faster" if topic == "speed" else "more parameter-efficient"
        on = f" on {basis}" if basis else ""
        if cheaper[a] == cheaper[b]:
            summary = f"At matched accuracy{on}, neither family is consistently {what} ({cheaper[a]} to {cheaper[b]})."
            leader = None
        else:
            leader = a if cheaper[a] > cheaper[b] else b
            summary = f"At matched accuracy{on}, {names[leader]} is {what} in {cheaper[leader]} of {total} comparisons."
        findings.insert(0, Finding(topic, summary, winner=leader))
    return findings


def pareto_front(table: Table, metric: str) -> list[Row]:
    """Rows not dominated on (lower latency, higher AP), ordered by latency."""
    points = [(r, _value(r, metric), _value(r, "map50_95")) for r in table.rows]
    points = [(r, lat, ap) for r, lat, ap in points if lat is not None and ap is not None]
    front = []
    for row, lat, ap in points:
        dominated = any(
            (l2 <= lat and a2 >= ap) and (l2 < lat or a2 > ap) for r2, l2, a2 in points if r2 is not row
        )
        if not dominated:
            front.append((lat, row))
    return [row for _, row in sorted(front, key=lambda item: item[0])]


def pareto_finding(table: Table, basis: LatencyBasis) -> Finding | None:
    front = pareto_front(table, basis.metric)
    if not front:
        return None
    names = ", ".join(f"{r.variant.name} ({_value(r, 'map50_95'):.1f} AP, {_value(r, basis.metric):.2f} ms)"
                      for r in front)
    families = {r.family.id for r in front}
    if len(families) == 1:
        only = front[0].family
        return Finding("pareto", f"On {basis.description}, the whole Pareto front (best accuracy for its latency) "
                                 f"belongs to {only.name}: {names}.", winner=only.id)
    fast, accurate = front[0].family, front[-1].family
    return Finding("pareto", f"On {basis.description}, the Pareto front (best accuracy for its latency) is "
                             f"{names}; {fast.name} holds its fast end and {accurate.name} its accurate end.")


def analyse_pair(table: Table, a: str, b: str) -> dict[str, list[Finding]]:
    """All findings for a two-family comparison, grouped by topic for the page's analysis section."""
    pair = table.for_families([a, b])
    sections: dict[str, list[Finding]] = {"accuracy": accuracy_at_matched_scale(pair, a, b), "speed": [],
                                          "params": [], "pareto": []}
    for basis in latency_bases(pair):
        speed = cost_at_matched_accuracy(pair, a, b, basis.metric, "speed", basis.description)
        if basis.caveat and speed:
            speed.append(Finding("speed", f"Caveat: {basis.caveat}."))
        sections["speed"] += speed
        finding = pareto_finding(pair, basis)
        if finding:
            sections["pareto"].append(finding)
    sections["params"] = cost_at_matched_accuracy(pair, a, b, "params_m", "params")
    return sections
