import re

from benchgen.render.pages import SiteRenderer
from tests.conftest import make_result, two_family_docs, variant_doc, family_doc


def _row(page: str, variant: str) -> str:
    match = re.search(rf'<tr data-variant="{variant}".*?</tr>', page, re.S)
    assert match, variant
    return match.group(0)


def _cells(row: str) -> list[str]:
    return re.findall(r"<td class=\"bg-cell.*?</td>", row, re.S)


def test_one_comparison_page_per_pair(make_registry):
    docs = two_family_docs() + [family_doc("gamma", "Gamma", [variant_doc("gamma-s", "s", 30, 1, 5)])]
    files = SiteRenderer(make_registry(docs), []).files()
    compare = sorted(p for p in files if p.startswith("compare/"))
    assert compare == ["compare/alpha-vs-beta.md", "compare/alpha-vs-gamma.md", "compare/beta-vs-gamma.md"]
    assert {"families/alpha.md", "families/beta.md", "families/gamma.md", "leaderboard.md", "index.md"} <= set(files)


def test_pair_page_holds_every_variant_and_bolds_the_best(make_registry):
    page = SiteRenderer(make_registry(), []).compare_page(*make_registry().families)
    for variant in ("alpha-s", "alpha-m", "alpha-l", "beta-s", "beta-m", "beta-l"):
        _row(page, variant)
    # columns: map, cpu, trt, params, flops — best AP is beta-l, best TRT latency and params alpha-s
    assert "<strong>50.0</strong>" in _cells(_row(page, "beta-l"))[0]
    assert "<strong>" not in _cells(_row(page, "alpha-l"))[0]
    assert "<strong>2.00</strong>" in _cells(_row(page, "alpha-s"))[2]
    assert "<strong>10.0</strong>" in _cells(_row(page, "alpha-s"))[3]


def test_reported_cells_are_marked_with_their_source(make_registry):
    page = SiteRenderer(make_registry(), []).compare_page(*make_registry().families)
    cell = _cells(_row(page, "alpha-m"))[0]
    assert "bg-origin-reported" in cell and "bg-mark-reported" in cell and "reported by Paper" in cell
    assert '<a class="bg-mark bg-mark-measured"' not in page
    note = re.search(r'href="#(bg-note-\d+)"', cell).group(1)
    assert f'id="{note}"' in page and "https://example.org/paper" in page


def test_measured_cells_switch_marker_and_keep_reported_beside(make_registry):
    registry = make_registry()
    results = [make_result("alpha-m", "accuracy", {"map50_95": 44.1}, settings={"dataset": "tiny80"})]
    page = SiteRenderer(registry, results).compare_page(*registry.families)
    cell = _cells(_row(page, "alpha-m"))[0]
    assert "44.1" in cell and "bg-mark-measured" in cell and "reported 45.0" in cell and "tiny80" in cell
    note = re.search(r'class="bg-mark bg-mark-measured" href="#(bg-note-\d+)"', cell).group(1)
    provenance = re.search(rf'<li id="{note}".*?</li>', page, re.S).group(0)
    assert "Test CPU (2 cores)" in provenance and "abc123" in provenance and "onnxruntime 1.0" in provenance


def test_failed_measurement_is_shown_with_its_reason(make_registry):
    registry = make_registry()
    results = [make_result("beta-l", "latency-cpu", {}, status="failed", error="export failed: boom")]
    page = SiteRenderer(registry, results).compare_page(*registry.families)
    assert "failed" in _cells(_row(page, "beta-l"))[1]
    assert "export failed: boom" in page


def test_regression_is_flagged(make_registry):
    import datetime as dt
    registry = make_registry()
    t = lambda d: dt.datetime(2026, 1, d, tzinfo=dt.timezone.utc)  # noqa: E731
    results = [make_result("alpha-s", "latency-cpu", {"latency_cpu_ms": 10.0}, when=t(1)),
               make_result("alpha-s", "latency-cpu", {"latency_cpu_ms": 12.0}, when=t(2))]
    page = SiteRenderer(registry, results).compare_page(*registry.families)
    view = page.split('data-view="cpu-test-2c"')[1].split("</table>")[0]
    assert "+20.0 % regression" in _cells(_row(view, "alpha-s"))[1]


def test_registry_text_is_escaped_in_markdown(make_registry):
    docs = two_family_docs()
    docs[0]["description"] = "Evil <script>alert('x')</script> *bold*"
    docs[0]["variants"][0]["name"] = "A<script>"
    registry = make_registry(docs)
    page = SiteRenderer(registry, []).compare_page(*registry.families)
    assert "<script>" not in page
    assert "&lt;script&gt;" in page and "&#42;bold&#42;" in page


def test_other_models_appear_on_the_family_page_only_and_marked_reported(make_registry):
    docs = two_family_docs()
    docs[0]["other_models"] = [{
        "id": "alpha-s-distilled", "name": "ALPHA-S*", "input_size": 640, "architecture_of": "alpha-s",
        "relation": "Alpha-S weights distilled from Alpha-L.",
        "reported": {"map50_95": [{"value": 41.5, "source": "https://example.org/zoo", "source_name": "Zoo",
                                   "official": True}]}}]
    files = SiteRenderer(make_registry(docs), [make_result("alpha-s", "latency-cpu", {"latency_cpu_ms": 50.0})]).files()
    family = files["families/alpha.md"]
    row = re.search(r'<tr data-model="alpha-s-distilled">.*?</tr>', family, re.S).group(0)
    cells = _cells(row)
    assert "41.5" in cells[0] and "bg-mark-reported" in cells[0] and "reported by Zoo" in cells[0]
    assert "<strong>" not in row  # listed, not ranked
    assert "bg-origin-none" in cells[1]  # no figure: nothing invented
    assert "https://example.org/zoo" in family and "Alpha-S weights distilled from Alpha-L." in family
    for path in ("leaderboard.md", "compare/alpha-vs-beta.md", "assets/generated/benchgen-data.js"):
        assert "alpha-s-distilled" not in files[path], path


def test_accuracy_measured_on_a_subset_says_so_beside_the_value(make_registry):
    results = [make_result("alpha-s", "accuracy", {"map50_95": 39.0},
                           settings={"dataset": "coco-val2017-tiny80/val2017 (80 images)"}),
               make_result("beta-s", "accuracy", {"map50_95": 43.1},
                           settings={"dataset": "coco/val2017 (5000 images)"})]
    page = SiteRenderer(make_registry(), results).compare_page(*make_registry().families)
    assert "on 80 images; reported 40.0" in _cells(_row(page, "alpha-s"))[0]
    full = _cells(_row(page, "beta-s"))[0]
    assert "images" not in full.split("bg-beside")[-1] and "reported 43.0" in full
