"""Renders of one docs tree never overlap: the second waits, says so, then renders."""

from __future__ import annotations

import os
import subprocess
import sys

from benchgen.locks import exclusive
from benchgen.render.generated_files import MANIFEST
from tests.conftest import REPO, two_family_docs, write_registry


def _render(registry, docs, results):
    return subprocess.Popen([sys.executable, "-m", "benchgen", "render", "--registry", str(registry), "--docs",
                             str(docs), "--results", str(results)], cwd=REPO, env=os.environ.copy(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_render_waits_for_the_one_holding_the_docs_tree(tmp_path):
    registry = write_registry(tmp_path / "registry", two_family_docs())
    docs = tmp_path / "docs"
    with exclusive(docs, "test holder"):
        proc = _render(registry, docs, tmp_path / "results")
        lines = [proc.stderr.readline() for _ in range(2)]  # the no-results warning, then the wait
        assert "waiting for benchgen test holder" in lines[-1] and str(docs) in lines[-1], lines
        assert proc.poll() is None and not (docs / "index.md").exists()
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert (docs / "index.md").is_file()


def test_two_renders_at_once_both_succeed(tmp_path):
    registry = write_registry(tmp_path / "registry", two_family_docs())
    docs = tmp_path / "docs"
    for _ in range(3):  # unlocked, 6 of 10 pairs crashed swapping directories
        procs = [_render(registry, docs, tmp_path / "results") for _ in range(2)]
        outcomes = [p.communicate(timeout=120) + (p.returncode,) for p in procs]
        assert [code for _, _, code in outcomes] == [0, 0], outcomes
    assert sorted(p.name for p in docs.iterdir()) == [MANIFEST, "assets", "compare", "families", "index.md",
                                                     "leaderboard.md"]
