"""Open built pages in real headless Chromium: the chart must draw and the console stay clean."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading

import pytest

CHROMIUM = shutil.which("chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (scripts/bootstrap.sh --test "
                                                "installs it)"),
]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def served(default_site, site_port):
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", site_port), functools.partial(_QuietHandler, directory=str(default_site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


def _open(browser, url):
    page = browser.new_page(viewport={"width": 1400, "height": 1800})
    problems = []
    page.on("console", lambda m: problems.append(f"console.{m.type}: {m.text}") if m.type in ("error", "warning")
            else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.goto(url)
    page.wait_for_function("document.querySelector('canvas.bg-chart-canvas') && "
                           "Chart.getChart(document.querySelector('canvas.bg-chart-canvas'))")
    return page, problems


NON_BLANK = """() => {
  const canvas = document.querySelector('canvas.bg-chart-canvas');
  const ctx = canvas.getContext('2d');
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
  return {painted, total: data.length / 4, width: canvas.width, height: canvas.height};
}"""


def test_comparison_chart_draws_without_console_errors(browser, served, tmp_path):
    page, problems = _open(browser, f"{served}/compare/damo-yolo-vs-rtdetrv2/")
    pixels = page.evaluate(NON_BLANK)
    assert pixels["width"] > 100 and pixels["height"] > 100
    assert pixels["painted"] > 0.01 * pixels["total"], pixels
    series = page.evaluate("Chart.getChart(document.querySelector('canvas.bg-chart-canvas')).data.datasets"
                           ".map(d => [d.label, d.data.length])")
    assert ["DAMO-YOLO", 4] in series and ["RT-DETRv2", 5] in series
    page.locator("#performance").scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "compare.png"), full_page=True)
    assert problems == []


def test_chart_survives_instant_navigation(browser, served):
    page, problems = _open(browser, f"{served}/leaderboard/")
    # follow an internal link: Material's instant navigation swaps the content without a reload
    page.evaluate("window.__sameDocument = true")
    page.locator("article a[href$='families/rtdetrv2/']").first.click()
    page.wait_for_url("**/families/rtdetrv2/")
    page.wait_for_function("Chart.getChart(document.querySelector('canvas.bg-chart-canvas')) !== undefined")
    assert page.evaluate("window.__sameDocument === true"), "navigation reloaded the page"
    assert page.evaluate(NON_BLANK)["painted"] > 0
    assert problems == []


def test_the_comparison_index_leads_to_a_pair_page_in_the_browser(browser, served):
    """From the sidebar's Compare section to the matrix, then to a pair page, as a reader goes."""
    page = browser.new_page(viewport={"width": 1400, "height": 1800})
    problems = []
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(f"{served}/")
    page.locator("nav.md-nav--primary a[href$='compare/']").first.click()
    page.wait_for_url("**/compare/")
    page.wait_for_selector("table.bg-matrix")  # instant navigation swaps the content after the URL
    cells = page.locator("table.bg-matrix td a")
    assert cells.count() >= 2 * 66  # both triangles of the default registry's pairs link
    page.locator("table.bg-matrix a[href$='damo-yolo-vs-rtdetrv2/']").first.click()
    page.wait_for_url("**/compare/damo-yolo-vs-rtdetrv2/")
    page.wait_for_function("Chart.getChart(document.querySelector('canvas.bg-chart-canvas')) !== undefined")
    assert problems == []


def test_a_view_of_unstable_timings_still_draws_the_reported_latencies(browser, served):
    """The newcomer machine of the default site timed everything unstable: picking it draws the
    authors' figures, marked reported, and says why in one line; the page opened on a view with figures."""
    from tests.site.conftest import NEWCOMER

    page, problems = _open(browser, f"{served}/compare/damo-yolo-vs-rtdetrv2/")
    picker = page.locator(".bg-view-select")
    assert picker.evaluate("s => s.value") != NEWCOMER.id  # the newest machine, but nothing to show
    label = page.locator(f".bg-view-select option[value='{NEWCOMER.id}']").inner_text()
    assert "0 latency figures published" in label and "unstable" in label
    assert page.locator(".bg-chart-fallback").is_hidden()
    picker.select_option(NEWCOMER.id)
    page.wait_for_function("Chart.getChart(document.querySelector('canvas.bg-chart-canvas')).data.datasets"
                           ".some(d => d.label.endsWith('(reported)'))")
    series = page.evaluate("Chart.getChart(document.querySelector('canvas.bg-chart-canvas')).data.datasets"
                           ".map(d => [d.label, d.data.length])")
    assert ["DAMO-YOLO (reported)", 4] in series and ["RT-DETRv2 (reported)", 5] in series
    assert page.evaluate(NON_BLANK)["painted"] > 0
    fallback = page.locator(".bg-chart-fallback")
    assert fallback.is_visible() and "reported by the authors" in fallback.inner_text()
    assert page.locator(".bg-chart-empty").is_hidden()
    notice = page.locator(f".bg-view[data-view='{NEWCOMER.id}'] .bg-unstable-notice")
    assert notice.is_visible() and "benchgen refresh --retry-unstable" in notice.inner_text()
    assert problems == []



@pytest.fixture(scope="module")
def mixed_accuracy_site(tmp_path_factory):
    """Alpha-S's mAP measured on an 80-image subset, Alpha-M/L's and Beta's reported (T4 latencies)."""
    from benchgen.results.schema import MetricInterval
    from benchgen.results.store import write_result
    from tests.conftest import make_result, two_family_docs, write_registry
    from tests.site.conftest import build_site

    work = tmp_path_factory.mktemp("mixed")
    result = make_result("alpha-s", "accuracy", {"map50_95": 38.5},
                         settings={"dataset": "coco-val2017-tiny80/val2017 (80 images)"})
    result.intervals = {"map50_95": MetricInterval(low=34.6, high=43.5, method="percentile bootstrap over images",
                                                   resamples=300, seed=0, images=80)}
    write_result(result, work / "results")
    site = build_site(work / "project", registry_dir=write_registry(work / "registry", two_family_docs()),
                      results_dir=work / "results", notebooks=False)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_the_chart_says_which_accuracy_is_measured_and_which_reported(browser, mixed_accuracy_site, tmp_path):
    """One family's measured and reported mAP are two series (no line joins them), told apart by
    marker, legend, axis title and tooltip; the key under the chart says the same."""
    page, problems = _open(browser, f"{mixed_accuracy_site}/compare/alpha-vs-beta/")
    chart = "Chart.getChart(document.querySelector('canvas.bg-chart-canvas'))"
    series = page.evaluate(f"{chart}.data.datasets.map(d => [d.label, d.data.length, d.pointStyle, "
                           "d.data.every(p => p.measured)])")
    assert sorted(series) == sorted([
        ["Alpha (mAP measured on coco-val2017-tiny80/val2017 (80 images)) (reported)", 1, "circle", True],
        ["Alpha (mAP reported) (reported)", 2, "triangle", False],
        ["Beta (reported)", 3, "triangle", False]]), series
    axis = page.evaluate(f"{chart}.options.scales.y.title.text")
    assert "measured by benchgen (1)" in axis and "reported (5)" in axis
    labels = page.evaluate(f"""(() => {{ const c = {chart}; const cb = c.options.plugins.tooltip.callbacks.label;
      return c.data.datasets.map((d, i) => cb({{raw: d.data[0], dataset: d, datasetIndex: i}}).join(' ')); }})()""")
    measured = next(t for t in labels if t.startswith("ALPHA-S"))
    assert measured == ("ALPHA-S: 38.5 AP, 2.00 ms (reported latency) AP measured by benchgen on "
                        "coco-val2017-tiny80/val2017 (80 images), 95 % interval 34.6–43.5 (bootstrap over the images)")
    assert any(t.startswith("ALPHA-M: 45.0 AP") and "AP reported by" in t for t in labels), labels
    key = page.locator(".bg-chart-key").first
    assert key.is_visible() and "measured by benchgen" in key.inner_text() and "reported" in key.inner_text()
    page.screenshot(path=str(tmp_path / "mixed.png"), full_page=True)
    assert problems == []


def test_the_front_page_counts_the_measured_accuracy_figures(browser, mixed_accuracy_site):
    page = browser.new_page()
    page.goto(f"{mixed_accuracy_site}/")
    text = page.locator("article").inner_text()
    assert "1 of the 6 mAP figures on these pages are measured by benchgen (1 on coco-val2017-tiny80/val2017 " \
           "(80 images)); the other 5 are reported by the authors" in text
