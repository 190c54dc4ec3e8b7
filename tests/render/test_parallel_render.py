"""Comparison pages rendered by forked workers are the pages one process renders, and a failure in
a worker ends the render with the error instead of hanging it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from benchgen.registry import load_registry
from benchgen.render import pages
from benchgen.render.pages import SiteRenderer, render_site
from tests.conftest import REPO, family_doc, variant_doc, write_registry

FAMILIES = 21  # 210 pairs: two workers


def _registry_dir(tmp_path):
    docs = [family_doc(f"fam{i:02d}", f"Fam {i:02d}", [variant_doc(f"fam{i:02d}-s", "s", 30.0 + i, 1.0 + i / 10, 5.0 + i)],
                       implementation=None, reported_only=True) for i in range(FAMILIES)]
    return write_registry(tmp_path / "registry", docs)


@pytest.fixture
def alarm():
    """Fail instead of hanging the suite if a pool deadlocks."""
    def on_alarm(*_):
        raise TimeoutError("render did not finish: a worker pool hung")
    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(120)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.mark.skipif("fork" not in __import__("multiprocessing").get_all_start_methods(), reason="no fork here")
def test_the_cli_renders_with_workers_and_the_pages_match_one_process(tmp_path, monkeypatch):
    registry_dir = _registry_dir(tmp_path)
    monkeypatch.setattr(pages, "render_workers", lambda: 2)
    docs = tmp_path / "docs"
    # through the CLI, in its own process: it installs the SIGTERM handler the workers inherit
    done = subprocess.run([sys.executable, "-c", "import sys; from benchgen.render import pages; "
                           "pages.render_workers = lambda: 2; from benchgen.cli import main; sys.exit(main())",
                           "render", "--no-builtin", "--registry", str(registry_dir), "--results",
                           str(tmp_path / "results"), "--docs", str(docs)],
                          cwd=REPO, env=os.environ.copy(), capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    expected = SiteRenderer(load_registry(registry_dir), []).compare_files()
    written = {f"compare/{p.name}": p.read_text(encoding="utf-8") for p in (docs / "compare").glob("*-vs-*.md")}
    assert len(written) == FAMILIES * (FAMILIES - 1) // 2
    strip = lambda text: text.split('<p class="bg-generated">')[0]  # noqa: E731 - the generation time differs
    assert {k: strip(v) for k, v in written.items()} == {k: strip(v) for k, v in expected.items()}


def test_a_failing_worker_ends_the_render_with_its_error(tmp_path, monkeypatch, alarm):
    registry = load_registry(_registry_dir(tmp_path))
    monkeypatch.setattr(pages, "render_workers", lambda: 2)
    original = SiteRenderer.compare_page

    def broken(self, a, b):
        if a.id == "fam03" and b.id == "fam17":
            raise RuntimeError("this pair cannot be rendered")
        return original(self, a, b)

    monkeypatch.setattr(SiteRenderer, "compare_page", broken)
    docs = tmp_path / "docs"
    with pytest.raises(RuntimeError, match="this pair cannot be rendered"):
        render_site(registry, [], docs=docs)
    assert not (docs / "compare").exists() and not list(docs.glob(".render-*"))
