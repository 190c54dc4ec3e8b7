import re

from benchgen.render.pages import SiteRenderer
from tests.conftest import MACHINE, family_doc, make_result, make_timing, two_family_docs, variant_doc


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
    assert compare == ["compare/alpha-vs-beta.md", "compare/alpha-vs-gamma.md", "compare/beta-vs-gamma.md",
                       "compare/index.md"]
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
    # a machine with nothing published is offered after the authors' view, its failure shown there
    view = page.split('data-view="cpu-test-2c"')[1].split("</table>")[0]
    assert "failed" in _cells(_row(view, "beta-l"))[1]
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
    assert "on coco-val2017-tiny80/val2017 (80 images); reported 40.0" in _cells(_row(page, "alpha-s"))[0]
    full = _cells(_row(page, "beta-s"))[0]  # full val2017 says its dataset too, as every measured mAP does
    assert "on coco/val2017 (5000 images); reported 43.0" in full


def test_a_measured_accuracy_shows_its_subset_size_and_bootstrap_interval_on_every_page(make_registry):
    from benchgen.results.schema import MetricInterval

    result = make_result("alpha-s", "accuracy", {"map50_95": 39.0},
                         settings={"dataset": "coco-val2017-tiny80/val2017 (80 images)"})
    result.intervals = {"map50_95": MetricInterval(low=34.62, high=43.5, method="percentile bootstrap over images",
                                                   resamples=300, seed=0, images=80)}
    files = SiteRenderer(make_registry(), [result]).files()
    for path in ("compare/alpha-vs-beta.md", "families/alpha.md", "leaderboard.md"):
        cell = _cells(_row(files[path], "alpha-s"))[0]
        assert "39.0" in cell, path
        assert ("on coco-val2017-tiny80/val2017 (80 images); 95 % interval 34.6–43.5 (bootstrap over the images); "
                "reported 40.0") in cell, path


def _unstable(variant: str, value: float, when):
    result = make_result(variant, "latency-cpu", {"latency_cpu_ms": value}, when=when, status="ok")
    return result.model_copy(update={"status": "unstable", "details": {
        "contention": {"reasons": ["round 1: other processes used 1.50 of 2 cores (limit 10%)"]}}})


def test_an_unstable_result_is_listed_never_shown_as_a_figure(make_registry):
    import datetime as dt
    registry = make_registry()
    t = lambda d: dt.datetime(2026, 1, d, tzinfo=dt.timezone.utc)  # noqa: E731
    results = [make_result("alpha-s", "latency-cpu", {"latency_cpu_ms": 10.0}, when=t(1)),
               _unstable("alpha-s", 25.0, t(2)), _unstable("beta-s", 99.0, t(2))]
    renderer = SiteRenderer(registry, results)
    page = renderer.compare_page(*registry.families)
    view = page.split('data-view="cpu-test-2c"')[1].split("</table>")[0]
    alpha, beta = _cells(_row(view, "alpha-s"))[1], _cells(_row(view, "beta-s"))[1]
    assert ">10.00<" in alpha and "25.00" not in alpha and "regression" not in alpha and "bg-mark-unstable" in alpha
    assert beta.startswith('<td class="bg-cell bg-origin-none">') and ">unstable<sup>" in beta
    assert "99" not in beta.split("<sup>")[0]  # the figure is only in the note that says it is unstable
    assert "1.50 of 2 cores" in page and "Unstable measurements" in page
    assert "99.0" not in renderer.chart_script() and "25.0" not in renderer.chart_script()


def test_each_machine_column_says_who_measured_it_and_when(make_registry):
    import datetime as dt

    from tests.conftest import MACHINE
    registry = make_registry()
    other = MACHINE.model_copy(update={"id": "cpu-other-8c-abcdef", "label": "Other CPU (8 cores), host abcdef"})
    timed = make_result("alpha-s", "latency-cpu", {"latency_cpu_ms": 10.0},
                        when=dt.datetime(2026, 3, 4, tzinfo=dt.timezone.utc))
    timed.timing = make_timing(10.0, probe_ms=5.8)
    results = [timed, make_result("alpha-s", "latency-cpu", {"latency_cpu_ms": 3.0}, machine=other,
                                  when=dt.datetime(2026, 5, 6, tzinfo=dt.timezone.utc))]
    page = SiteRenderer(registry, results).compare_page(*registry.families)
    assert "Measured on Test CPU (2 cores), 2026-03-04" in page and "Measured on Other CPU (8 cores), host abcdef, 2026-05-06" in page
    ours = page.split('data-view="cpu-test-2c"')[1].split("</table>")[0]
    assert "Latency measured on Test CPU (2 cores) (machine id cpu-test-2c): 1 measurement, 2026-03-04; " \
           "calibration probe 5.8 ms" in ours
    assert "this machine" not in page


def test_torch_cuda_is_its_own_column_named_with_the_gpu_and_never_mixed_with_tensorrt(make_registry):
    from benchgen.render.chart_data import chart_data
    from tests.conftest import MACHINE

    gpu = MACHINE.model_copy(update={"id": "gpu-nvidia-h100", "label": "NVIDIA H100 <80GB>", "gpu": "NVIDIA H100 <80GB>"})
    registry = make_registry()
    results = [make_result("alpha-s", "latency-cpu", {"latency_cpu_ms": 50.0}),
               make_result("alpha-s", "latency-torch-cuda", {"latency_torch_cuda_ms": 1.23}, machine=gpu,
                           settings={"backend": "torch-cuda", "gpu": gpu.gpu}),
               make_result("beta-s", "latency-torch-cuda", {"latency_torch_cuda_ms": 0.98}, machine=gpu,
                           settings={"backend": "torch-cuda", "gpu": gpu.gpu})]
    renderer = SiteRenderer(registry, results)
    page = renderer.compare_page(*registry.families)
    view = page.split('data-view="gpu-nvidia-h100"')[1].split("</table>")[0]
    headers = re.findall(r"<th data-sort-method=\"number\">(.*?)</th>", view)
    assert headers[3] == 'PyTorch CUDA FP16 (ms)<br><span class="bg-column-gpu">NVIDIA H100 &lt;80GB&gt;</span>'
    assert headers[2] == "TensorRT FP16 (ms)" and len(headers) == 6
    alpha, beta = _cells(_row(view, "alpha-s")), _cells(_row(view, "beta-s"))
    assert "1.23" in alpha[3] and "bg-mark-measured" in alpha[3] and "<strong>0.98</strong>" in beta[3]
    assert "1.23" not in alpha[2] and "bg-origin-reported" in alpha[2]  # TensorRT keeps the T4 figure, reported
    assert "–" in _cells(_row(view, "alpha-m"))[3]
    for other in ('data-view="cpu-test-2c"', 'data-view="reported"'):  # no torch figure there: no column
        table = page.split(other)[1].split("</table>")[0]
        assert "PyTorch CUDA" not in table and len(_cells(_row(table, "alpha-s"))) == 5
    data = chart_data([(f.id, f.name) for f in registry.families], renderer.views.tables, renderer.views.reported, "now")
    by_view = {v["id"]: {r["variant"]: r for r in v["rows"]} for v in data["views"]}
    assert by_view["gpu-nvidia-h100"]["alpha-s"]["latency_torch_cuda_ms"] == 1.23
    assert by_view["gpu-nvidia-h100"]["alpha-s"]["latency_trt_ms"] is None  # reported T4 figure: not this view's
    assert by_view["reported"]["alpha-s"]["latency_torch_cuda_ms"] is None
    assert data["latencyMetrics"]["latency_torch_cuda_ms"] == "PyTorch CUDA FP16"


def test_a_failed_torch_cuda_attempt_shows_the_column_with_the_failure(make_registry):
    from tests.conftest import MACHINE

    gpu = MACHINE.model_copy(update={"id": "gpu-x", "label": "GPU X", "gpu": "GPU X"})
    registry = make_registry()
    results = [make_result("alpha-s", "latency-torch-cuda", {}, machine=gpu, status="failed",
                           error="CUDA graph capture failed")]
    page = SiteRenderer(registry, results).compare_page(*registry.families)
    view = page.split('data-view="gpu-x"')[1].split("</table>")[0]
    assert "failed" in _cells(_row(view, "alpha-s"))[3] and "CUDA graph capture failed" in page


def test_a_latency_on_other_hardware_is_never_the_bold_best(make_registry):
    docs = two_family_docs()
    odd = docs[0]["variants"][0]["reported"]["latency_trt_ms"]
    odd[0]["hardware"] = "NVIDIA V100"
    odd[0]["value"] = 0.5  # far below every T4 figure
    page = SiteRenderer(make_registry(docs), []).compare_page(*make_registry(docs).families[:2])
    row = re.search(r'<tr data-variant="alpha-s".*?</tr>', page, re.S).group(0)
    assert "0.50" in row and "<strong>0.50</strong>" not in row
    alpha_m = re.search(r'<tr data-variant="alpha-m".*?</tr>', page, re.S).group(0)
    assert "<strong>3.00</strong>" in alpha_m  # the fastest T4 figure is


def test_two_reported_only_families_have_only_the_publications_view(make_registry):
    docs = two_family_docs()
    for doc in docs:
        doc.update(implementation=None, reported_only=True)
    registry = make_registry(docs)
    measured_elsewhere = [make_result("another-model", "latency-cpu", {"latency_cpu_ms": 12.0})]
    page = SiteRenderer(registry, measured_elsewhere).compare_page(*registry.families)
    assert 'data-view="reported"' in page and f'data-view="{MACHINE.id}"' not in page
    assert "is reported only" in page and "On the authors' reported figures" not in page


def test_a_reported_only_family_page_says_so_and_offers_no_refresh(make_registry):
    docs = two_family_docs()
    docs[1].update(implementation=None, reported_only=True)
    registry = make_registry(docs)
    page = SiteRenderer(registry, []).family_page(registry.family("beta"))
    assert "Beta is reported only" in page and "benchgen has measured nothing of it" in page
    assert "benchgen refresh --only beta" not in page
    measured = SiteRenderer(registry, []).family_page(registry.family("alpha"))
    assert "reported only" not in measured and "benchgen refresh --only alpha" in measured


def _views_order(page: str) -> list[str]:
    return re.findall(r'<div class="bg-view bg-perf[^"]*" data-view="([^"]+)"', page)


def test_a_page_opens_on_the_view_with_most_published_figures_not_the_newest(make_registry):
    import datetime as dt
    registry = make_registry()
    newcomer = MACHINE.model_copy(update={"id": "cpu-new-4c-0a0b0c", "label": "New CPU (4 cores)"})
    t = lambda d: dt.datetime(2026, 1, d, tzinfo=dt.timezone.utc)  # noqa: E731
    results = [make_result(v, "latency-cpu", {"latency_cpu_ms": 10.0}, when=t(1)) for v in ("alpha-s", "beta-s")]
    results += [_unstable(v, 30.0, t(5)).model_copy(update={"provenance": _unstable(v, 30.0, t(5)).provenance.model_copy(
        update={"machine": newcomer})}) for v in ("alpha-s", "beta-s", "alpha-m")]
    page = SiteRenderer(registry, results).compare_page(*registry.families)
    # the newcomer is newest but published nothing: after the machine with figures and the authors' view
    assert _views_order(page) == ["cpu-test-2c", "reported", "cpu-new-4c-0a0b0c"]
    assert re.search(r'<div class="bg-view[^>]*data-view="cpu-test-2c">', page)  # shown, not hidden
    options = re.findall(r'<option value="([^"]+)">([^<]+)</option>', page)
    assert options[0] == ("cpu-test-2c", "Measured on Test CPU (2 cores), 2026-01-01 (2 latency figures published)")
    assert options[2] == ("cpu-new-4c-0a0b0c", "Measured on New CPU (4 cores) (0 latency figures published, 3 unstable)")
    # the analysis reads the view shown first
    assert "(the view shown first: Test CPU (2 cores))" in page


def test_ties_in_published_figures_go_to_the_newest_machine(make_registry):
    import datetime as dt
    registry = make_registry()
    newer = MACHINE.model_copy(update={"id": "cpu-newer-2c-aaaaaa", "label": "Newer CPU"})
    t = lambda d: dt.datetime(2026, 1, d, tzinfo=dt.timezone.utc)  # noqa: E731
    results = [make_result("alpha-s", "latency-cpu", {"latency_cpu_ms": 10.0}, when=t(1)),
               make_result("alpha-s", "latency-cpu", {"latency_cpu_ms": 9.0}, when=t(3), machine=newer),
               make_result("beta-s", "latency-cpu", {"latency_cpu_ms": 8.0}, when=t(2))]
    page = SiteRenderer(registry, results).compare_page(*registry.families)
    assert _views_order(page)[0] == "cpu-test-2c"  # 2 figures beat 1, although older
    results.append(make_result("beta-s", "latency-cpu", {"latency_cpu_ms": 7.0}, when=t(4), machine=newer))
    page = SiteRenderer(registry, results).compare_page(*registry.families)
    assert _views_order(page)[0] == "cpu-newer-2c-aaaaaa"  # 2 each: the newest


def test_a_view_with_unstable_timings_says_so_and_names_the_retiming_command(make_registry):
    import datetime as dt
    registry = make_registry()
    t = lambda d: dt.datetime(2026, 1, d, tzinfo=dt.timezone.utc)  # noqa: E731
    results = [make_result("alpha-s", "latency-cpu", {"latency_cpu_ms": 10.0}, when=t(1)),
               _unstable("beta-s", 99.0, t(2)), _unstable("beta-m", 99.0, t(2))]
    page = SiteRenderer(registry, results).compare_page(*registry.families)
    view = page.split('data-view="cpu-test-2c"')[1].split("</table>")[0]
    notice = re.search(r'<p class="bg-unstable-notice">(.*?)</p>', view, re.S).group(1)
    assert notice.startswith("2 latency timings of these models on Test CPU (2 cores) came out unstable")
    assert "1 is published" in notice
    assert notice.endswith("benchgen refresh --retry-unstable --only beta-s --only beta-m")
    assert "bg-unstable-notice" not in page.split('data-view="reported"')[1]
    quiet = SiteRenderer(registry, results[:1]).compare_page(*registry.families)
    assert "bg-unstable-notice" not in quiet


def test_a_machine_with_int8_latencies_gets_an_int8_view_in_the_picker(make_registry):
    registry = make_registry()
    int8 = lambda r: r.model_copy(update={"precision": "int8"})  # noqa: E731
    results = [make_result("alpha-s", "latency-cpu", {"latency_cpu_ms": 10.37}),
               make_result("alpha-s", "size", {"params_m": 1.5, "flops_g": 2.0}),
               make_result("alpha-m", "accuracy", {"map50_95": 40.0}),
               int8(make_result("alpha-s", "latency-cpu", {"latency_cpu_ms": 4.21})),
               int8(make_result("alpha-m", "accuracy", {"map50_95": 39.2}))]
    page = SiteRenderer(registry, results).compare_page(*registry.families)
    options = re.findall(r'<option value="([^"]+)">([^<]+)</option>', page)
    ids = [o[0] for o in options]
    assert ids.index(f"{MACHINE.id}@int8") == ids.index(MACHINE.id) + 1  # right after its FP32 view
    assert "INT8 graphs" in dict(options)[f"{MACHINE.id}@int8"]
    fp32 = page.split(f'data-view="{MACHINE.id}"')[1].split("</table>")[0]
    view = page.split(f'data-view="{MACHINE.id}@int8"')[1].split("</table>")[0]
    assert "10.37" in _cells(_row(fp32, "alpha-s"))[1] and "4.21" not in fp32
    assert "4.21" in _cells(_row(view, "alpha-s"))[1] and "10.37" not in view
    assert "39.2" in _cells(_row(view, "alpha-m"))[0] and "40.0" in _cells(_row(fp32, "alpha-m"))[0]
    assert "bg-origin-reported" not in _cells(_row(view, "alpha-l"))[0]  # publications give no INT8 mAP
    headers = re.findall(r"<th data-sort-method=\"number\">(.*?)</th>", view)
    assert len(headers) == 2 and "mAP" in headers[0] and "CPU ONNX" in headers[1]  # size: the FP32 view's
    assert "GPU" not in view and "TensorRT" not in view  # no reported or FP16 GPU figure among INT8 ones
    assert "quantised after training" in view


def test_no_int8_view_without_int8_latencies(make_registry):
    registry = make_registry()
    results = [make_result("alpha-s", "latency-cpu", {"latency_cpu_ms": 10.0})]
    page = SiteRenderer(registry, results).compare_page(*registry.families)
    assert "@int8" not in page
