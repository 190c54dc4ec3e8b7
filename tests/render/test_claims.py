"""The claim rule: data on each side of every threshold, and pages that never state a difference
the rule rejects."""

import html
import re

from benchgen.render.analysis import analyse_pair
from benchgen.render.claims import DEFAULT, Point
from benchgen.render.pages import SiteRenderer
from benchgen.results.merge import build_table
from benchgen.results.schema import MetricInterval
from tests.conftest import MACHINE, REPO, family_doc, make_result, make_timing, variant_doc

TINY80 = "coco-val2017-tiny80/val2017 (80 images)"


def _timed(variant, ms, low, high):
    """A CPU latency result whose median has the interval [low, high]."""
    result = make_result(variant, "latency-cpu", {"latency_cpu_ms": ms})
    result.timing = make_timing(ms, low, high)
    return result


def _analysis(make_registry, alpha, beta, results=(), machine=None):
    docs = [family_doc("alpha", "Alpha", alpha), family_doc("beta", "Beta", beta)]
    return analyse_pair(build_table(make_registry(docs), list(results), machine), "alpha", "beta")


def _lines(findings):
    return [f.text for f in findings]


# --- the rule on its own, on each side of each threshold ---------------------------------------

def test_accuracy_gap_under_the_threshold_is_a_tie():
    assert DEFAULT.higher_accuracy(40.49, 40.0).winner == 0
    assert DEFAULT.higher_accuracy(40.51, 40.0).winner == 1
    assert DEFAULT.higher_accuracy(47.6, 48.1).winner == -1  # printed as 0.5 AP: not lost to rounding


def test_measured_latency_needs_the_gap_and_disjoint_intervals():
    def tight(ms):
        return Point(ms, ms * 0.999, ms * 1.001)
    assert DEFAULT.lower_cost("latency_cpu_ms", tight(10.0), tight(10.19)).reason == "tie"  # 1.9 %
    assert DEFAULT.lower_cost("latency_cpu_ms", tight(10.0), tight(10.21)).winner == 1  # 2.1 %
    # a 5 % gap: a claim only if the intervals are apart
    assert DEFAULT.lower_cost("latency_cpu_ms", Point(10.0, 9.8, 10.3), Point(10.5, 10.2, 10.8)).reason == "overlap"
    assert DEFAULT.lower_cost("latency_cpu_ms", Point(10.0, 9.8, 10.1), Point(10.5, 10.2, 10.8)).winner == 1
    assert DEFAULT.lower_cost("latency_cpu_ms", Point(10.5, 10.2, 10.8), Point(10.0, 9.8, 10.1)).winner == -1
    assert DEFAULT.lower_cost("latency_cpu_ms", Point(10.0, None, None), tight(10.5)).reason == "no interval"


def test_reported_latency_and_params_have_their_own_tie():
    def reported(ms):
        return Point.exact(ms, reported=True)
    assert DEFAULT.lower_cost("latency_trt_ms", reported(10.0), reported(10.99)).reason == "tie"  # 9.9 %
    assert DEFAULT.lower_cost("latency_trt_ms", reported(10.0), reported(11.01)).winner == 1  # 10.1 %
    assert DEFAULT.lower_cost("params_m", Point.exact(10.0), Point.exact(10.49)).reason == "tie"
    assert DEFAULT.lower_cost("params_m", Point.exact(10.0), Point.exact(10.51)).winner == 1


def test_tier_pairs_are_capped_by_parameter_ratio():
    assert DEFAULT.comparable_size(10.0, 24.9) and DEFAULT.comparable_size(24.9, 10.0)
    assert not DEFAULT.comparable_size(10.0, 25.1)
    assert not DEFAULT.comparable_size(None, 10.0)


def test_accuracies_with_intervals_need_the_gap_and_the_ranges_apart():
    assert DEFAULT.higher_accuracy(Point(30.0, 27.0, 33.0, basis=TINY80), Point(25.0, 21.0, 29.0, basis=TINY80)) \
        .reason == "overlap"
    assert DEFAULT.higher_accuracy(Point(30.0, 29.5, 33.0, basis=TINY80), Point(25.0, 21.0, 29.0, basis=TINY80)) \
        .winner == 1
    assert DEFAULT.higher_accuracy(Point(25.0, 21.0, 29.0, basis=TINY80), Point(30.0, 29.5, 33.0, basis=TINY80)) \
        .winner == -1
    assert DEFAULT.higher_accuracy(Point(30.2, 29.0, 31.0, basis=TINY80), Point(30.0, 29.0, 31.0, basis=TINY80)) \
        .reason == "tie"
    # a subset figure against a published (val2017) one, or against another subset: never
    assert DEFAULT.higher_accuracy(Point(40.0, 39.0, 41.0, basis=TINY80), Point.exact(30.0, reported=True)) \
        .reason == "other set"
    assert DEFAULT.higher_accuracy(Point(40.0, 39.0, 41.0, basis=TINY80), Point(30.0, 29.0, 31.0, basis="x")) \
        .reason == "other set"
    # a full-val2017 measurement whose interval reaches a published figure makes no claim either
    assert DEFAULT.higher_accuracy(Point(40.0, 39.4, 40.6), Point.exact(39.5, reported=True)).reason == "overlap"
    assert DEFAULT.higher_accuracy(Point(40.0, 39.6, 40.4), Point.exact(39.5, reported=True)).winner == 1


def test_methodology_page_states_the_rule():
    """The methodology page is hand-written: this keeps its statement of the thresholds the rule's."""
    page = " ".join((REPO / "docs" / "methodology.md").read_text().split())
    assert " ".join(DEFAULT.statement().split()) in page


# --- the rule in the generated sentences -------------------------------------------------------

def test_accuracy_sentences_on_each_side_of_the_tie(make_registry):
    tie = _analysis(make_registry, [variant_doc("alpha-s", "s", 40.0, 2.0, 10.0)],
                    [variant_doc("beta-s", "s", 40.49, 2.0, 10.0)]).sections["accuracy"]
    assert _lines(tie) == ["Equally accurate within 0.5 AP: at the small tier, ALPHA-S (40.0 AP) and BETA-S (40.49 AP)."]
    claim = _analysis(make_registry, [variant_doc("alpha-s", "s", 40.0, 2.0, 10.0)],
                      [variant_doc("beta-s", "s", 40.51, 2.0, 10.0)]).sections["accuracy"]
    assert claim[0].kind == "summary" and claim[0].winner == "beta"
    assert "At the small tier, BETA-S (40.51 AP) is 0.51 AP more accurate than ALPHA-S (40.0 AP)." in _lines(claim)


def test_tier_pairs_beyond_the_size_cap_are_not_compared(make_registry):
    close = _analysis(make_registry, [variant_doc("alpha-s", "s", 40.0, 2.0, 10.0)],
                      [variant_doc("beta-s", "s", 45.0, 2.0, 24.9)]).sections["accuracy"]
    assert any("more accurate than" in line for line in _lines(close))
    apart = _analysis(make_registry, [variant_doc("alpha-s", "s", 40.0, 2.0, 10.0)],
                      [variant_doc("beta-s", "s", 45.0, 2.0, 25.1)])
    assert _lines(apart.sections["accuracy"]) == [
        "Not compared, parameter counts more than 2.5x apart: at the small tier, ALPHA-S (10.0 M parameters) and "
        "BETA-S (25.1 M parameters)."]
    assert "parameter counts are more than 2.5x apart" in apart.not_separable


def _interval_case(make_registry, beta_low, beta_high):
    """Beta-M at 45 AP takes 10.5 ms; Alpha's curve is flat at 10 ms (±1 %) around that accuracy."""
    alpha = [variant_doc("alpha-s", "s", 40.0, 2.0, 10.0), variant_doc("alpha-l", "l", 50.0, 2.0, 40.0)]
    beta = [variant_doc("beta-m", "m", 45.0, 2.0, 20.0)]
    results = [_timed("alpha-s", 10.0, 9.9, 10.1), _timed("alpha-l", 10.0, 9.9, 10.1),
               _timed("beta-m", 10.5, beta_low, beta_high)]
    speed = _analysis(make_registry, alpha, beta, results, MACHINE).sections["speed"]
    return [line for line in _lines(speed) if "measured by benchgen" in line or "BETA-M (45.0 AP, 10.50 ms)" in line]


def test_a_measured_gap_beyond_the_tie_needs_disjoint_intervals(make_registry):
    overlapping = _interval_case(make_registry, 10.05, 10.9)
    assert overlapping == ["No claim, the difference lies inside the measurements' ranges or the ±0.5 AP accuracy "
                           "band: BETA-M (45.0 AP, 10.50 ms) against Alpha at that accuracy (10.00 ms, interpolated)."]
    disjoint = _interval_case(make_registry, 10.2, 10.8)
    assert disjoint[0].startswith("At matched accuracy on CPU ONNX latency measured by benchgen on Test CPU (2 cores), "
                                  "Alpha is faster in 1 of 1 comparisons")


def test_a_measurement_without_an_interval_makes_no_claim(make_registry):
    alpha = [variant_doc("alpha-s", "s", 40.0, 2.0, 10.0), variant_doc("alpha-l", "l", 50.0, 2.0, 40.0)]
    results = [make_result(v, "latency-cpu", {"latency_cpu_ms": ms}) for v, ms in
               [("alpha-s", 10.0), ("alpha-l", 10.0), ("beta-m", 50.0)]]
    speed = _analysis(make_registry, alpha, [variant_doc("beta-m", "m", 45.0, 2.0, 20.0)], results, MACHINE)
    cpu = [f for f in speed.sections["speed"] if "CPU" in f.text or "50.00 ms" in f.text]
    assert [f.kind for f in cpu] == ["non-claim"] and cpu[0].text.startswith("No claim, measured without")


def test_matched_accuracy_reads_the_other_curve_across_the_accuracy_tie(make_registry):
    """7 % slower than Alpha's curve at 41 AP, but Alpha at 40.5 AP is faster still: no claim."""
    beta = [variant_doc("beta-m", "m", 41.0, 2.0, 20.0)]
    results = [_timed("alpha-s", 10.0, 9.99, 10.01), _timed("beta-m", 16.0, 15.99, 16.01)]

    def speed(alpha_l_ms):
        alpha = [variant_doc("alpha-s", "s", 40.0, 2.0, 10.0), variant_doc("alpha-l", "l", 42.0, 2.0, 40.0)]
        timed = results + [_timed("alpha-l", alpha_l_ms, alpha_l_ms - 0.01, alpha_l_ms + 0.01)]
        return [f for f in _analysis(make_registry, alpha, beta, timed, MACHINE).sections["speed"] if "16.00" in f.text]
    steep = speed(20.0)  # 15 ms at 41 AP, 12.5-17.5 ms within ±0.5 AP
    assert steep[0].kind == "non-claim" and "accuracy band" in steep[0].text
    flat = speed(11.0)  # 10.5 ms at 41 AP, 10.25-10.75 ms within ±0.5 AP
    assert flat[0].winner == "alpha" and "Alpha is 1.52x faster here" in flat[0].text


def test_one_passing_claim_is_not_separable(make_registry):
    analysis = _analysis(make_registry, [variant_doc("alpha-s", "s", 40.0, 2.0, 10.0)],
                         [variant_doc("beta-s", "s", 41.0, 2.0, 10.0)])
    assert analysis.claims == 1
    assert analysis.not_separable == ("Alpha and Beta are not separable on this data: only one difference passes "
                                      "the claim rule, and there is nothing else to compare.")
    assert analysis.conclusion == [analysis.not_separable]


def test_ties_only_say_why(make_registry):
    alpha = [variant_doc("alpha-s", "s", 40.0, 2.0, 10.0), variant_doc("alpha-m", "m", 45.0, 3.0, 20.0)]
    beta = [variant_doc("beta-s", "s", 40.3, 2.1, 10.2), variant_doc("beta-m", "m", 45.2, 3.1, 20.5)]
    analysis = _analysis(make_registry, alpha, beta)
    assert analysis.claims == 0 and analysis.conclusion == [analysis.not_separable]
    assert analysis.not_separable.startswith("Alpha and Beta are not separable on this data: no difference passes "
                                             "the claim rule; the ")
    assert "comparisons are all within the noise thresholds (accuracy 0.5 AP" in analysis.not_separable
    texts = [f.text for findings in analysis.sections.values() for f in findings if f.topic != "pareto"]
    assert all(t.startswith("Equally ") for t in texts), texts


def test_two_passing_claims_are_separable(make_registry):
    alpha = [variant_doc("alpha-s", "s", 40.0, 2.0, 10.0), variant_doc("alpha-m", "m", 45.0, 3.0, 20.0)]
    beta = [variant_doc("beta-s", "s", 41.0, 2.0, 10.0), variant_doc("beta-m", "m", 46.0, 3.0, 20.0)]
    analysis = _analysis(make_registry, alpha, beta)
    assert analysis.claims >= 2 and analysis.not_separable is None
    assert analysis.conclusion[0] == "Beta is more accurate in 2 of 2 matched-tier comparisons."


# --- whole pages: no sentence states a difference the rule rejects -----------------------------

ACCURACY = re.compile(r"At the [\w-]+ tier, (\S+) \(([\d.]+) AP\) is ([\d.]+) AP more accurate than (\S+) \(([\d.]+) AP\)\.")
COST = re.compile(r"needs about ([\d.]+) (?:ms|M parameters) \(interpolated\) against ([\d.]+) (?:ms|M parameters): "
                  r"\w+ is ([\d.]+)x (faster|leaner) here\.")
SUMMARY = re.compile(r"is (?:more accurate|faster|more parameter-efficient) in (\d+) of \d+ [\w -]*?comparisons"
                     r"(?: and \w+ in (\d+))?")


def _borderline_docs():
    """Gaps on both sides of each threshold; Gamma is reported-only, Delta only ties with Alpha."""
    return [
        family_doc("alpha", "Alpha", [variant_doc("alpha-s", "s", 40.0, 2.0, 10.0),
                                      variant_doc("alpha-m", "m", 45.0, 3.0, 20.0),
                                      variant_doc("alpha-l", "l", 48.0, 5.0, 40.0)]),
        family_doc("beta", "Beta", [variant_doc("beta-s", "s", 40.49, 2.19, 10.4),
                                    variant_doc("beta-m", "m", 45.51, 3.29, 21.0),
                                    variant_doc("beta-l", "l", 48.6, 5.6, 101.0)]),
        family_doc("gamma", "Gamma", [variant_doc("gamma-s", "s", 43.0, 2.5, 26.0),
                                      variant_doc("gamma-m", "m", 47.0, 3.4, 24.0)],
                   implementation=None, reported_only=True),
        family_doc("delta", "Delta", [variant_doc("delta-s", "s", 40.3, 2.05, 10.2),  # Alpha within the noise
                                      variant_doc("delta-m", "m", 45.2, 3.1, 20.5),
                                      variant_doc("delta-l", "l", 48.0, 5.0, 41.5)]),
    ]


def _sections(page):
    analysis = page.split("## Analysis")[1].split("## Use cases")[0]
    conclusion = page.split("## Conclusion")[1].split("See also")[0]
    return html.unescape(analysis), html.unescape(conclusion)


def _check_topic(bullets, variants, tie):
    """Each claim's numbers against the rule; each summary's count against the claims below it."""
    claims, counted = 0, None
    for line in bullets + ["### end"]:
        if (match := SUMMARY.search(line)) or line.startswith("###"):
            assert counted is None or counted == claims, (counted, claims)
            counted, claims = (int(match[1]) + int(match[2] or 0)) if match else None, 0
            tie = DEFAULT.reported_latency_tie if "reported" in line else tie
        if match := ACCURACY.search(line):
            claims += 1
            (hi, hi_params), (lo, lo_params) = variants[match[1]], variants[match[4]]
            assert (hi, lo) == (float(match[2]), float(match[5]))
            assert DEFAULT.higher_accuracy(hi, lo).winner == 1, line
            assert DEFAULT.comparable_size(hi_params, lo_params), line
        elif match := COST.search(line):
            claims += 1
            theirs, mine, what = float(match[1]), float(match[2]), match[4]
            limit, half_digit = (DEFAULT.params_tie, 0.05) if what == "leaner" else (tie, 0.005)
            ratio = max(theirs, mine) / min(theirs, mine)
            rounding = ratio * (half_digit / theirs + half_digit / mine)  # the printed values are rounded
            assert ratio >= 1 + limit - rounding, line
        elif line.startswith(("Equally", "No claim", "Not compared")):
            assert not re.search(r"faster|leaner|more accurate|more parameter", line), line


def test_rendered_pages_state_no_difference_the_rule_rejects(make_registry):
    registry = make_registry(_borderline_docs())
    # Alpha's CPU curve is nearly flat from 40 to 45 AP, so Beta-S's 1.9 % is decided by the tie alone
    results = [_timed(v, ms, ms * 0.998, ms * 1.002) for v, ms in
               [("alpha-s", 50.0), ("alpha-m", 50.5), ("alpha-l", 70.0),
                ("beta-s", 51.0), ("beta-m", 61.5), ("beta-l", 75.0)]]
    results.append(_timed("beta-m", 62.0, 60.0, 64.0))  # the latest: a 3 % gap inside its interval
    files = SiteRenderer(registry, results).files()
    variants = {v.name: (v.reported["map50_95"][0].value, v.reported["params_m"][0].value)
                for _, v in registry.variants()}
    seen = {"claims": 0, "ties": 0, "not separable": 0}
    for path, page in files.items():
        if not path.startswith("compare/") or "-vs-" not in path:  # compare/index.md is the matrix
            continue
        analysis, conclusion = _sections(page)
        for block in analysis.split("\n### ")[1:]:
            bullets = [line[2:] for line in block.splitlines() if line.startswith("- ")]
            _check_topic(["### " + block.splitlines()[0]] + bullets, variants, DEFAULT.latency_tie)
            seen["claims"] += sum(bool(ACCURACY.search(b) or COST.search(b)) for b in bullets)
            seen["ties"] += sum(b.startswith("Equally") for b in bullets)
        summaries = [line[2:] for line in analysis.splitlines() if SUMMARY.search(line)]
        if "not separable on this data" in analysis:
            seen["not separable"] += 1
            assert "not separable on this data" in conclusion and not SUMMARY.search(conclusion), path
        else:
            stated = conclusion.strip().splitlines()[0].strip()
            assert stated and all(s in summaries for s in re.split(r"(?<=\.) (?=[A-Z])", stated)), path
    assert seen["claims"] and seen["ties"] and seen["not separable"], seen


def _measured_ap(variant, ap, low=None, high=None, dataset=TINY80):
    result = make_result(variant, "accuracy", {"map50_95": ap}, settings={"backend": "ort-cpu", "dataset": dataset})
    if low is not None:
        result.intervals = {"map50_95": MetricInterval(low=low, high=high, method="percentile bootstrap over images",
                                                       resamples=300, seed=0, images=80)}
    return result


def _accuracy_lines(make_registry, results):
    return _lines(_analysis(make_registry, [variant_doc("alpha-s", "s", 40.0, 2.0, 10.0)],
                            [variant_doc("beta-s", "s", 41.0, 2.0, 10.0)], results, MACHINE).sections["accuracy"])


def test_two_models_measured_on_one_subset_are_compared_only_when_their_intervals_are_apart(make_registry):
    overlapping = _accuracy_lines(make_registry, [_measured_ap("alpha-s", 30.0, 26.0, 34.0),
                                                  _measured_ap("beta-s", 25.0, 21.0, 29.0)])
    assert overlapping == ["No claim, the difference lies inside the measurements' ranges or the ±0.5 AP accuracy "
                           "band: at the small tier, ALPHA-S (30.0 AP) and BETA-S (25.0 AP)."]
    apart = _accuracy_lines(make_registry, [_measured_ap("alpha-s", 30.0, 29.5, 34.0),
                                            _measured_ap("beta-s", 25.0, 21.0, 29.0)])
    assert "At the small tier, ALPHA-S (30.0 AP) is 5.0 AP more accurate than BETA-S (25.0 AP)." in apart


def test_a_subset_accuracy_is_never_held_against_a_published_one_or_one_without_an_interval(make_registry):
    against_reported = _accuracy_lines(make_registry, [_measured_ap("alpha-s", 30.0, 29.5, 34.0)])
    without_interval = _accuracy_lines(make_registry, [_measured_ap("alpha-s", 30.0, 29.5, 34.0),
                                                       _measured_ap("beta-s", 20.0)])
    other_subset = _accuracy_lines(make_registry, [_measured_ap("alpha-s", 30.0, 29.5, 34.0),
                                                   _measured_ap("beta-s", 20.0, 18.0, 22.0, "mine (17 images)")])
    for lines in (against_reported, without_interval, other_subset):
        assert not any("ALPHA-S" in line for line in lines), lines
