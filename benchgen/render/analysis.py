"""Analysis sentences generated from the table's numbers, so the prose cannot contradict the table.

Each comparison is computed, judged by the claim rule (benchgen.render.claims), then phrased: swap
the numbers and the sentence flips; shrink the gap into the noise and it is listed as a tie, never
as a win. Latency is only compared between values that are comparable — all measured on the same
machine, or all reported for the same hardware — and the sentence says which basis it used. A pair
with fewer passing claims than the rule asks for is said to be not separable, not padded with ties.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from benchgen.metrics import METRICS, chart_latencies
from benchgen.render.claims import DEFAULT, ClaimRule, Point, accuracy_point, comparable_accuracy, point
from benchgen.results.merge import Row, Table

SCALE_NAMES = {"n": "nano", "t": "tiny", "s": "small", "m": "medium", "l": "large", "x": "extra-large"}

#: at most this many non-claims of one kind are named in a topic; the rest are counted
LISTED_NON_CLAIMS = 3


@dataclass(frozen=True)
class Finding:
    topic: str  # "accuracy" | "speed" | "params" | "pareto"
    text: str
    winner: str | None = None  # family id favoured by the finding, if any
    kind: str = "claim"  # "claim" | "summary" (counts claims) | "non-claim" (ties, not compared) | "note"


@dataclass(frozen=True)
class Comparison:
    """One like-for-like comparison and the claim rule's verdict on it."""

    topic: str
    text: str  # the claim sentence when there is a winner, else a phrase naming the two sides
    winner: str | None = None
    reason: str | None = None  # why it is no claim: "tie", "overlap", "no interval", "size"


@dataclass
class PairAnalysis:
    sections: dict[str, list[Finding]]
    claims: int  # passing claims over accuracy, speed and parameters
    not_separable: str | None  # the sentence saying the pair is not separable, None when it is

    @property
    def conclusion(self) -> list[str]:
        """Each topic's first summary (built from passing claims only), or the not-separable
        sentence: never whatever line happens to come first, which could be a tie."""
        if self.not_separable:
            return [self.not_separable]
        return [summaries[0] for topic in ("accuracy", "speed", "params")
                if (summaries := [f.text for f in self.sections[topic] if f.kind == "summary"])]


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
    for metric in (m.id for m in chart_latencies()):
        cells = [r.cells[metric] for r in rows]
        label = METRICS[metric].label.replace(" (ms)", "")
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
            bases.append(LatencyBasis(metric, f"reported {label} latency on {hardware.pop()}", False, caveat))
    return sorted(bases, key=lambda basis: not basis.measured)


def _ap(value: float) -> str:
    """One decimal, as published, unless the value has more: a tie at 0.49 AP must not read as 0.5."""
    return f"{value:.1f}" if abs(round(value, 1) - value) < 1e-6 else f"{value:.2f}"


def _fmt(metric: str, value: float) -> str:
    return METRICS[metric].phrase(value)


def _names(table: Table) -> dict[str, str]:
    return {r.family.id: r.family.name for r in table.rows}


def accuracy_comparisons(table: Table, a: str, b: str, rule: ClaimRule = DEFAULT) -> list[Comparison]:
    """Every pair of variants of one size tier, if their sizes are comparable (rule.comparable_size)."""
    comparisons = []
    for scale, tier in SCALE_NAMES.items():
        rows_a = [r for r in table.rows if r.family.id == a and r.variant.scale == scale]
        rows_b = [r for r in table.rows if r.family.id == b and r.variant.scale == scale]
        for ra in rows_a:
            for rb in rows_b:
                qa, qb = accuracy_point(ra.cells["map50_95"]), accuracy_point(rb.cells["map50_95"])
                if qa is None or qb is None or qa.basis != qb.basis:
                    continue
                ma, mb = qa.value, qb.value
                pa, pb = _value(ra, "params_m"), _value(rb, "params_m")
                if not rule.comparable_size(pa, pb):
                    sizes = " and ".join(f"{r.variant.name} ({_fmt('params_m', p) if p else 'size unknown'})"
                                         for r, p in ((ra, pa), (rb, pb)))
                    comparisons.append(Comparison("accuracy", f"at the {tier} tier, {sizes}", reason="size"))
                    continue
                verdict = rule.higher_accuracy(qa, qb)
                if not verdict.winner:
                    comparisons.append(Comparison("accuracy", f"at the {tier} tier, {ra.variant.name} ({_ap(ma)} AP) "
                                                  f"and {rb.variant.name} ({_ap(mb)} AP)", reason=verdict.reason))
                    continue
                hi, lo, mhi, mlo = (ra, rb, ma, mb) if verdict.winner > 0 else (rb, ra, mb, ma)
                comparisons.append(Comparison(
                    "accuracy",
                    f"At the {tier} tier, {hi.variant.name} ({_ap(mhi)} AP) is {_ap(mhi - mlo)} AP more "
                    f"accurate than {lo.variant.name} ({_ap(mlo)} AP).",
                    winner=hi.family.id,
                ))
    return comparisons


def interpolate(points: list[tuple[float, float]], x: float) -> float | None:
    """Piecewise-linear y at x over points sorted by x; None outside their range (no extrapolation)."""
    points = sorted(points)
    if not points or x < points[0][0] or x > points[-1][0]:
        return None
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        if x0 <= x <= x1:
            return y0 if x1 == x0 else y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return points[0][1]


def matched_point(curve: list[tuple[float, Point]], ap: float, halfwidth: float) -> Point | None:
    """The other family's cost at accuracy `ap`, interpolated along its `curve` of (AP, cost) points.

    Its range is what the interpolation of the points' ranges reaches within ±halfwidth AP of `ap`:
    accuracies closer than the tie threshold are not told apart, so neither is the place on the
    curve where the two families match. None off the curve (no extrapolation).
    """
    value = interpolate([(x, p.value) for x, p in curve], ap)
    if value is None:
        return None
    reported = any(p.reported for _, p in curve)
    if any(p.low is None or p.high is None for _, p in curve):
        return Point(value, None, None, reported)
    xs = sorted(x for x, _ in curve)
    lo, hi = max(ap - halfwidth, xs[0]), min(ap + halfwidth, xs[-1])
    knots = [lo, hi] + [x for x in xs if lo < x < hi]  # a piecewise-linear curve peaks at these
    low = min(interpolate([(x, p.low) for x, p in curve], k) for k in knots)
    high = max(interpolate([(x, p.high) for x, p in curve], k) for k in knots)
    return Point(value, low, high, reported)


def cost_comparisons(table: Table, a: str, b: str, metric: str, topic: str,
                     rule: ClaimRule = DEFAULT) -> list[Comparison]:
    """For each variant, the other family's cost (latency or params) at the same AP, interpolated."""
    names = _names(table)
    comparisons = []
    for this, other in ((a, b), (b, a)):
        curve = [(comparable_accuracy(r.cells["map50_95"]), point(r.cells[metric]))
                 for r in table.rows if r.family.id == other]
        curve = [(x, p) for x, p in curve if x is not None and p is not None]
        for row in (r for r in table.rows if r.family.id == this):
            ap, mine = comparable_accuracy(row.cells["map50_95"]), point(row.cells[metric])
            theirs = matched_point(curve, ap, rule.ap_tie) if ap is not None and mine is not None else None
            if theirs is None:
                continue
            cost, other_cost = mine.value, theirs.value
            verdict = rule.lower_cost(metric, mine, theirs)
            if not verdict.winner:
                comparisons.append(Comparison(topic, f"{row.variant.name} ({_ap(ap)} AP, {_fmt(metric, cost)}) "
                                              f"against {names[other]} at that accuracy ({_fmt(metric, other_cost)}, "
                                              f"interpolated)", reason=verdict.reason))
                continue
            winner = this if verdict.winner > 0 else other
            ratio = max(cost, other_cost) / min(cost, other_cost)
            comparisons.append(Comparison(
                topic,
                f"At {row.variant.name}'s accuracy ({_ap(ap)} AP), {names[other]} needs about "
                f"{_fmt(metric, other_cost)} (interpolated) against {_fmt(metric, cost)}: "
                f"{names[winner]} is {ratio:.2f}x {'faster' if topic == 'speed' else 'leaner'} here.",
                winner=winner,
            ))
    return comparisons


def _summary(topic: str, comparisons: list[Comparison], names: dict[str, str], a: str, b: str,
             what: str, lead: str, noun: str, even: str) -> Finding | None:
    """Counts passing claims only: a comparison inside the noise is counted as such, never as a win."""
    compared = [c for c in comparisons if c.reason != "size"]
    wins = {a: sum(c.winner == a for c in compared), b: sum(c.winner == b for c in compared)}
    if not wins[a] + wins[b]:
        return None
    rest = len(compared) - wins[a] - wins[b]
    noise = f"; {rest} show{'s' if rest == 1 else ''} no difference beyond the noise" if rest else ""
    if wins[a] == wins[b]:
        return Finding(topic, f"{even}, neither family is consistently {what} ({wins[a]} to {wins[b]}{noise}).",
                       kind="summary")
    leader, other = (a, b) if wins[a] > wins[b] else (b, a)
    also = f" and {names[other]} in {wins[other]}" if wins[other] else ""
    return Finding(topic, f"{lead}{names[leader]} is {what} in {wins[leader]} of {len(compared)} {noun}{also}{noise}.",
                   winner=leader, kind="summary")


def _non_claim_heading(reason: str, topic: str, metric: str, reported: bool, rule: ClaimRule) -> str:
    if reason == "tie":
        if topic == "accuracy":
            return f"Equally accurate within {rule.ap_tie:g} AP"
        return (f"Equally {'fast' if topic == 'speed' else 'parameter-efficient'} within "
                f"{rule.tie(metric, reported) * 100:g} %")
    return {"overlap": f"No claim, the difference lies inside the measurements' ranges or the ±{rule.ap_tie:g} AP "
                       f"accuracy band",
            "no interval": "No claim, measured without a confidence interval",
            "size": f"Not compared, parameter counts more than {rule.max_tier_params_ratio:g}x apart"}[reason]


def _findings(topic: str, comparisons: list[Comparison], summary: Finding | None, metric: str, reported: bool,
              rule: ClaimRule) -> list[Finding]:
    """The summary, every claim, then each kind of non-claim on one line, a few of them named."""
    findings = [summary] if summary else []
    findings += [Finding(topic, c.text, c.winner) for c in comparisons if c.winner]
    for reason in ("tie", "overlap", "no interval", "size"):
        items = [c.text for c in comparisons if c.reason == reason]
        if items:
            more = len(items) - LISTED_NON_CLAIMS
            named = "; ".join(items[:LISTED_NON_CLAIMS]) + (f"; and {more} more" if more > 0 else "")
            findings.append(Finding(topic, f"{_non_claim_heading(reason, topic, metric, reported, rule)}: {named}.",
                                    kind="non-claim"))
    return findings


def pareto_front(table: Table, metric: str, rule: ClaimRule = DEFAULT) -> list[Row]:
    """Rows no other row clearly beats, ordered by latency.

    A row is beaten by one at least as good on both latency and AP (or inside the claim rule's noise
    of it) and better beyond the noise on one: rows closer than the noise do not knock each other off.
    A row whose AP was measured on a subset of val2017 is not judged on accuracy, so it neither beats
    nor is beaten, and stays on the front.
    """
    points = [(r, point(r.cells[metric]), comparable_accuracy(r.cells["map50_95"])) for r in table.rows
              if _value(r, "map50_95") is not None]
    points = [(r, p, ap) for r, p, ap in points if p is not None]

    def beats(p2: Point, ap2: float | None, p: Point, ap: float | None) -> bool:
        if ap2 is None or ap is None:
            return False
        speed, accuracy = rule.lower_cost(metric, p2, p), rule.higher_accuracy(ap2, ap)
        as_fast = speed.winner > 0 or (speed.winner == 0 and (p2.value <= p.value or speed.reason != "no interval"))
        return as_fast and accuracy.winner >= 0 and (speed.winner > 0 or accuracy.winner > 0)

    front = [(p.value, row) for row, p, ap in points
             if not any(beats(p2, ap2, p, ap) for r2, p2, ap2 in points if r2 is not row)]
    return [row for _, row in sorted(front, key=lambda item: item[0])]


def pareto_finding(table: Table, basis: LatencyBasis, rule: ClaimRule = DEFAULT) -> Finding | None:
    front = pareto_front(table, basis.metric, rule)
    if not front:
        return None
    names = ", ".join(f"{r.variant.name} ({_ap(_value(r, 'map50_95'))} AP, {_value(r, basis.metric):.2f} ms)"
                      for r in front)
    what = "the variants no other one beats on both latency and accuracy beyond the noise thresholds"
    families = {r.family.id for r in front}
    if len(families) == 1:
        only = front[0].family
        return Finding("pareto", f"On {basis.description}, the whole Pareto front ({what}) belongs to "
                                 f"{only.name}: {names}.", winner=only.id)
    fast, accurate = front[0].family, front[-1].family
    ends = (f"{fast.name} holds both its ends" if fast.id == accurate.id
            else f"{fast.name} holds its fast end and {accurate.name} its accurate end")
    return Finding("pareto", f"On {basis.description}, the Pareto front ({what}) is {names}; {ends}.", kind="note")


def not_separable(names: dict[str, str], a: str, b: str, comparisons: list[Comparison],
                  rule: ClaimRule = DEFAULT) -> str | None:
    """The plain statement that a pair with too few passing claims is not separable, and why."""
    claims = sum(1 for c in comparisons if c.winner)
    if claims >= rule.min_claims:
        return None
    pair = f"{names[a]} and {names[b]} are not separable on this data"
    if not comparisons:
        return (f"{pair}: they have no variants in a common size tier, and none at an accuracy the other family's "
                f"variants span.")
    noise = (f"within the noise thresholds (accuracy {rule.ap_tie:g} AP; latency {rule.latency_tie * 100:g} % "
             f"measured, {rule.reported_latency_tie * 100:g} % reported; parameters {rule.params_tie * 100:g} %; "
             f"or overlapping ranges)")
    phrases = {"tie": noise, "overlap": noise, "no interval": "on measurements without a confidence interval",
               "size": f"between variants of one size tier whose parameter counts are more than "
                       f"{rule.max_tier_params_ratio:g}x apart"}
    counts = Counter(phrases[c.reason] for c in comparisons if not c.winner)
    head = "no difference passes the claim rule" if not claims else "only one difference passes the claim rule"
    total, other = sum(counts.values()), " other" if claims else ""
    if not counts:
        return f"{pair}: {head}, and there is nothing else to compare."
    if len(counts) == 1:
        (phrase, n), = counts.items()
        detail = (f"the{other} {n} comparisons are all {phrase}" if n > 1
                  else f"the{other or ' only'} comparison is {phrase}")
    else:
        parts = [f"{n} {'is' if n == 1 else 'are'} {phrase}" for phrase, n in counts.items()]
        detail = f"of the{other} {total} comparisons, {', '.join(parts[:-1])} and {parts[-1]}"
    return f"{pair}: {head}; {detail}."


def analyse_pair(table: Table, a: str, b: str, rule: ClaimRule = DEFAULT) -> PairAnalysis:
    """All findings for a two-family comparison, grouped by topic for the page's analysis section."""
    pair = table.for_families([a, b])
    names = _names(pair)
    accuracy = accuracy_comparisons(pair, a, b, rule)
    compared = list(accuracy)
    summary = _summary("accuracy", accuracy, names, a, b, "more accurate", "", "matched-tier comparisons",
                       "Across matched size tiers")
    sections: dict[str, list[Finding]] = {
        "accuracy": _findings("accuracy", accuracy, summary, "map50_95", False, rule),
        "speed": [], "params": [], "pareto": []}
    for basis in latency_bases(pair):
        speed = cost_comparisons(pair, a, b, basis.metric, "speed", rule)
        compared += speed
        on = f"At matched accuracy on {basis.description}"
        summary = _summary("speed", speed, names, a, b, "faster", f"{on}, ", "comparisons", on)
        findings = _findings("speed", speed, summary, basis.metric, not basis.measured, rule)
        if basis.caveat and findings:
            findings.append(Finding("speed", f"Caveat: {basis.caveat}.", kind="note"))
        sections["speed"] += findings
        finding = pareto_finding(pair, basis, rule)
        if finding:
            sections["pareto"].append(finding)
    params = cost_comparisons(pair, a, b, "params_m", "params", rule)
    compared += params
    summary = _summary("params", params, names, a, b, "more parameter-efficient", "At matched accuracy, ",
                       "comparisons", "At matched accuracy")
    sections["params"] = _findings("params", params, summary, "params_m", False, rule)
    return PairAnalysis(sections, sum(1 for c in compared if c.winner), not_separable(names, a, b, compared, rule))
