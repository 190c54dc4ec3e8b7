"""Nothing wrong is published without a word: default paths are the project's from any working
directory, and results that will not show (none at all, or for unknown variants) are warned about."""

from __future__ import annotations

import json

import pytest

from benchgen.cli import build_parser, main
from benchgen.paths import PROJECT_ROOT
from benchgen.results.store import load_results, write_result
from tests.conftest import REPO, make_result, two_family_docs, write_registry

DEFAULTS = {"results": PROJECT_ROOT / "results", "docs": PROJECT_ROOT / "docs", "templates": PROJECT_ROOT / "templates"}


@pytest.mark.parametrize("argv", [["render"], ["refresh"], ["eval", "x"], ["latency", "x"], ["size", "x"]],
                         ids=lambda a: a[0])
def test_every_default_path_is_the_projects_from_any_working_directory(argv, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = build_parser().parse_args(argv)
    for name, expected in DEFAULTS.items():
        if hasattr(args, name):
            assert getattr(args, name) == expected, name


def test_render_from_elsewhere_renders_the_projects_results(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # `cd /tmp && benchgen render` (into a scratch docs dir, not the project's)
    assert main(["render", "--docs", str(tmp_path / "docs")]) == 0
    captured = capsys.readouterr()
    committed = len(load_results(REPO / "results"))
    assert committed > 0 and f"and {committed} results" in captured.out
    assert "warning" not in captured.err


def _missing(tmp_path):
    return tmp_path / "results"


def _empty(tmp_path):
    (tmp_path / "results").mkdir()
    return tmp_path / "results"


def _unknown_variant(tmp_path):
    root = tmp_path / "results"
    write_result(make_result("alpha-s", "size", {"params_m": 1.0, "flops_g": 2.0}), root)
    stray = make_result("gamma-x", "size", {"params_m": 1.0, "flops_g": 2.0})
    path = root / "cpu-test-2c" / "gamma-x" / "size" / "20260101T000000000000Z.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(stray.model_dump(mode="json")))
    return root


@pytest.mark.parametrize("make, fragments", [
    (_missing, ["does not exist", "every number on the pages will be the authors' reported one", "--results"]),
    (_empty, ["holds no result files", "none measured"]),
    (_unknown_variant, ["1 result(s)", "variants not in the registry", "'gamma-x'", "add them to the registry"]),
], ids=["missing", "empty", "unknown-variant"])
def test_results_that_will_not_show_are_warned_about(make, fragments, tmp_path, capsys):
    registry = write_registry(tmp_path / "registry", two_family_docs())
    results = make(tmp_path)
    assert main(["render", "--registry", str(registry), "--results", str(results),
                 "--docs", str(tmp_path / "docs")]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("benchgen: warning: ")]
    assert len(warnings) == 1, warnings
    assert str(results) in warnings[0]
    for fragment in fragments:
        assert fragment in warnings[0], fragment
