"""The notebook page shows the results the site is built from, never an earlier build's.

mkdocs-jupyter keys its execution cache on the notebook's bytes only, so with the cache on, new
results left the page as it was; mkdocs.yml turns the cache off. Two builds in the same project
directory (same cache directory), with a result added in between, prove it.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest

from benchgen.results.store import write_result
from tests.conftest import make_result
from tests.site.conftest import build_site


def _notebook_html(site):
    return (site / "notebooks" / "explore" / "index.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_notebook_page_follows_new_results(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    site = build_site(tmp_path / "project", results_dir=results)
    empty = "no results yet: run `benchgen refresh`"  # in the cell's source, and in its output when empty
    before = _notebook_html(site).count(empty)

    when = dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.timezone.utc)  # results dated in the future are refused
    write_result(make_result("yolox-nano", "latency-cpu", {"latency_cpu_ms": 12.5}, when=when), results)
    env = {**os.environ, "BENCHGEN_RESULTS": str(results), "NO_MKDOCS_2_WARNING": "1"}
    project = tmp_path / "project"
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(project / "mkdocs.yml"),
                           "-d", str(site)], capture_output=True, text=True, env=env, cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    page = _notebook_html(site)
    assert "1 results from 1 machine(s), newest 2026-01-02 03:04 UTC" in page
    assert page.count(empty) == before - 1  # the output line is gone, the source stays
