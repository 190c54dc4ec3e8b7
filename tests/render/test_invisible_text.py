"""Characters that display as something else never reach a page (issue 23): a right-to-left
override in a name made a link show another name than it had."""

from __future__ import annotations

from benchgen.render.pages import SiteRenderer
from benchgen.visible_text import describe, invisible, visible_text
from tests.conftest import MACHINE, make_result, two_family_docs

#: bidi override, isolate and pop, zero-width space and joiner, BOM, soft hyphen, escape, NUL
HIDDEN = "\u202e\u2066\u2069\u202c\u200b\u200d\ufeff\u00ad\x1b\x00"


def _spoofed_site(make_registry) -> dict[str, str]:
    docs = two_family_docs()
    docs[0]["description"] = "Alpha is \u202efast\u202c and\u2028small\u2029here \u200bzero\x1b[31m red\x00."
    docs[0]["use_cases"] = ["Edge\u2066 devices\u2069"]
    registry = make_registry(docs)
    # the registry refuses such names at load; the page path must hold even for one that got past it
    alpha = registry.families[0]
    variants = [alpha.variants[0].model_copy(update={"name": "ALPHA\u200b-S\u202e"}), *alpha.variants[1:]]
    spoofed = alpha.model_copy(update={"name": "Al\u202ehpla", "variants": variants})
    registry = registry.model_copy(update={"families": [spoofed, *registry.families[1:]]})
    machine = MACHINE.model_copy(update={"label": "Test \u202eUPC"})  # a result file is untrusted too
    results = [make_result("alpha-s", "latency-cpu", {"latency_cpu_ms": 10.0}, machine=machine),
               make_result("alpha-m", "latency-cpu", {}, status="failed", error="bo\u202eom", machine=machine)]
    return SiteRenderer(registry, results).files()


def test_no_page_and_no_chart_script_holds_an_invisible_character(make_registry):
    files = _spoofed_site(make_registry)
    for path, text in files.items():
        assert not invisible(text), (path, [describe(c) for c in invisible(text)])


def test_the_text_around_them_stays_and_a_line_separator_is_a_space(make_registry):
    files = _spoofed_site(make_registry)
    family = files["families/alpha.md"]
    assert "Alhpla" in family and "ALPHA-S" in family
    assert "Alpha is fast and small here zero&#91;31m red." in family
    compare = files["compare/alpha-vs-beta.md"]
    assert "Edge devices" in compare and "Test UPC" in compare and "boom" in compare
    assert '"name": "Alhpla"' in files["assets/generated/benchgen-data.js"]


def test_visible_text_keeps_visible_characters():
    kept = "Ünïcødé 検出器 — 1 000 ms\u00a0(no-break), tab\there\nnewline, \ue000 private use"
    assert visible_text(kept) == kept
    assert visible_text("a" + HIDDEN + "b") == "ab"
    assert visible_text("x\u2028y\u2029z") == "x y z"
    assert visible_text("lone \ud800 surrogate") == "lone  surrogate"
    assert describe("\u202e") == "U+202E (RIGHT-TO-LEFT OVERRIDE)"
