"""When a generated sentence may say that one model beats another: the claim rule, as data.

Every comparative sentence of a comparison page's analysis goes through `DEFAULT`. A difference
the rule rejects is not a claim: the page lists it as a tie (or as not compared) and never calls
either side faster, leaner or more accurate. The thresholds live here and nowhere else; the
methodology page quotes `ClaimRule.statement()` and a test holds the two together.

Each threshold's reason is beside it; the methodology page gives the same reasons to readers.
"""

from __future__ import annotations

from dataclasses import dataclass

from benchgen.metrics import METRICS
from benchgen.render.table_view import subset_size
from benchgen.results.merge import Cell

#: floating-point slack, so that a gap such as 48.1 - 47.6 counts as what it is printed as
_EPS = 1e-9



@dataclass(frozen=True)
class Point:
    """A value and the range its true value lies in; low/high None: a measurement with no interval."""

    value: float
    low: float | None
    high: float | None
    reported: bool = False
    #: for an accuracy measured on a subset of val2017: the set it was measured on (only accuracies
    #: of one set are compared); None for full-val2017 and published figures
    basis: str | None = None

    @classmethod
    def exact(cls, value: float, reported: bool = False) -> "Point":
        return cls(value, value, value, reported)


@dataclass(frozen=True)
class Verdict:
    winner: int  # 1: the first argument wins, -1: the second, 0: no claim
    reason: str | None = None  # why there is no claim: "tie", "overlap", "no interval"


def point(cell: Cell) -> Point | None:
    """The cell's value with its uncertainty, for the claim rule.

    Reported figures, parameter counts and accuracies carry no interval: they count as exact and
    only the tie thresholds apply. A measured latency's range is the 95 % interval of its median
    widened to the spread of its round medians: samples within a round are correlated, so the
    pooled interval understates run-to-run variation (two refreshes on this project's idle VM
    timed DAMO-YOLO-S at 94.6 and 89.3 ms, with pooled intervals of ±0.7 % and ±0.4 %, while
    each one's round medians spanned both).
    """
    value = cell.value
    if value is None:
        return None
    if cell.origin != "measured" or not METRICS[cell.metric].timed:
        return Point.exact(value, reported=cell.origin == "reported")
    timing = cell.measured.timing
    if timing is None:
        return Point(value, None, None)
    return Point(value, *timing.spread_range(value))


def accuracy_point(cell: Cell) -> Point | None:
    """The cell's AP with its range, for an accuracy claim; None where it may enter none.

    A measured AP carries its bootstrap interval over the images (benchgen.measure.accuracy.bootstrap); one
    measured on a subset of val2017 without an interval (results before accuracy method 3) is not
    compared at all, and one with an interval only with accuracies measured on the same set.
    Published figures count as exact.
    """
    value = cell.value
    if value is None:
        return None
    if cell.origin != "measured" or cell.measured is None:
        return Point.exact(value, reported=cell.origin == "reported")
    subset = subset_size(cell.measured)
    interval = cell.measured.intervals.get(cell.metric)
    if interval is None:
        return None if subset is not None else Point.exact(value)
    basis = str(cell.measured.settings.get("dataset")) if subset is not None else None
    return Point(value, interval.low, interval.high, basis=basis)


def comparable_accuracy(cell: Cell) -> float | None:
    """The cell's AP if it may enter a claim: an AP measured on a subset of val2017 (such as 80
    images) varies by several AP with the images drawn and is not the full-val2017 figure."""
    if cell.measured is not None and subset_size(cell.measured) is not None:
        return None
    return cell.value


@dataclass(frozen=True)
class ClaimRule:
    #: AP points; a smaller gap is a tie. Published mAPs are rounded to 0.1, re-evaluating one
    #: checkpoint with another resize, score threshold or NMS setting moves it by tenths of an AP,
    #: and benchgen's own threshold for a deterministic accuracy change is 0.3 AP.
    ap_tie: float = 0.5
    #: relative (slower / faster - 1), measured latencies. A measured median is timed to ±1 % and its
    #: round medians must agree within 2 % before a loop stops early; the ranges must be apart too.
    latency_tie: float = 0.02
    #: relative, where either latency is a reported figure: it has no interval, and publications time
    #: one GPU differently (the registry's two sources for each DAMO-YOLO and RT-DETRv2 variant on the
    #: same T4, the family's README and the Ultralytics table, disagree by 5-20 %, median 10 %).
    reported_latency_tie: float = 0.10
    #: relative. Counts are exact but not like for like: authors count train-mode graphs, benchgen the
    #: fused deploy graph, a few percent apart (RT-DETRv2-X: 76.0 M reported, 74.9 M counted).
    params_tie: float = 0.05
    #: "small" in one family is not "small" in another: variants of one size tier further apart than
    #: this are different classes of model, and their accuracy gap is their size, not their family.
    #: Matched-accuracy sentences pair by accuracy, where the parameter ratio is the finding itself,
    #: so the cap does not apply there.
    max_tier_params_ratio: float = 2.5
    #: one passing difference is a single comparison, not a pattern: with fewer the pair is stated to
    #: be not separable on this data
    min_claims: int = 2

    def tie(self, metric: str, reported: bool) -> float:
        if metric == "params_m":
            return self.params_tie
        return self.reported_latency_tie if reported else self.latency_tie

    def higher_accuracy(self, a: float | Point, b: float | Point) -> Verdict:
        """An accuracy claim needs the gap beyond the tie threshold, both measured on one set (val2017
        or the same subset of it), and, where an accuracy carries an interval, the two ranges apart."""
        pa, pb = (x if isinstance(x, Point) else Point.exact(x) for x in (a, b))
        if abs(pa.value - pb.value) < self.ap_tie - _EPS:
            return Verdict(0, "tie")
        if pa.basis != pb.basis:
            return Verdict(0, "other set")
        better, worse = (pa, pb) if pa.value > pb.value else (pb, pa)
        if None not in (better.low, worse.high) and better.low <= worse.high + _EPS:
            return Verdict(0, "overlap")
        return Verdict(1 if better is pa else -1)

    def lower_cost(self, metric: str, a: Point, b: Point) -> Verdict:
        """A cost claim needs the gap beyond the tie threshold and the two ranges apart."""
        low, high = sorted((a.value, b.value))
        if low <= 0 or high / low - 1 < self.tie(metric, a.reported or b.reported) - _EPS:
            return Verdict(0, "tie")
        cheap, dear = (a, b) if a.value < b.value else (b, a)
        if None in (cheap.high, dear.low):
            return Verdict(0, "no interval")
        if cheap.high >= dear.low:
            return Verdict(0, "overlap")
        return Verdict(1 if cheap is a else -1)

    def comparable_size(self, params_a: float | None, params_b: float | None) -> bool:
        if not params_a or not params_b:
            return False
        return max(params_a, params_b) / min(params_a, params_b) <= self.max_tier_params_ratio + _EPS

    def statement(self) -> str:
        """The rule in words, for the methodology page (which must contain it verbatim)."""
        return (
            f"- Two accuracies less than {self.ap_tie:g} AP apart are a tie, never \"more accurate\". A measured "
            f"accuracy carries the bootstrap 95 % interval of its mAP over the images it was "
            f"measured on; a difference with a measured accuracy is claimed only if, in addition, the two ranges "
            f"(that interval, or a published figure itself) do not overlap. An accuracy measured on a subset of "
            f"val2017 is compared only with one measured on the same subset, never with a published figure or "
            f"with one measured on other images, and one that stored no interval is never compared.\n"
            f"- Two measured latencies within {self.latency_tie * 100:g} % of each other are a tie. A measured latency "
            f"is \"faster\" only if, in addition, its range (the 95 % interval of its median, widened to the "
            f"spread of its round medians) lies entirely below the other's; a measurement that stored no "
            f"interval makes no claim. Reported latencies have no interval and publications time the same GPU "
            f"differently, so two reported latencies within {self.reported_latency_tie * 100:g} % of each other "
            f"are a tie, and only figures for the same hardware are compared.\n"
            f"- Two parameter counts within {self.params_tie * 100:g} % of each other are a tie.\n"
            f"- At matched accuracy, the other family's cost is interpolated between its two variants "
            f"around that accuracy, and its range is what the interpolation of its points' ranges reaches "
            f"within ±{self.ap_tie:g} AP of that accuracy (accuracies closer than that are not "
            f"distinguished); the claim needs the tie threshold passed and the two ranges apart.\n"
            f"- At a matched size tier, variants whose parameter counts are more than "
            f"{self.max_tier_params_ratio:g}x apart are not compared.\n"
            f"- The Pareto front keeps every variant that no other one beats on both latency and accuracy "
            f"beyond these thresholds.\n"
            f"- Summary sentences count passing claims only. A pair of families with fewer than "
            f"{self.min_claims} passing claims is stated to be not separable on this data, with the reason."
        )


DEFAULT = ClaimRule()
