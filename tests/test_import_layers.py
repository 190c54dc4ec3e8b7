"""benchgen's packages import in one direction: registry data below measuring, measuring below rendering
and the CLI, and no package imports one that imports it back (not even inside a function: a lazy import
is still a dependency). Imports under `if TYPE_CHECKING:` are annotations, not dependencies."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO
from tests.measure.test_import_graph import cycles

BENCHGEN = REPO / "benchgen"


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return skipped


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    skipped = _type_checking_nodes(tree)
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("benchgen"):
            found.add(node.module)
            if node.module == "benchgen":
                found.update(f"benchgen.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("benchgen."))
    return found


def package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def package_graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for path in BENCHGEN.rglob("*.py"):
        source = path.relative_to(BENCHGEN).parts[0].removesuffix(".py")
        targets = {package_of(m) for m in imported_modules(path)}
        edges.setdefault(source, set()).update(t for t in targets if t != source)
    return edges


def test_the_type_checking_imports_are_left_out(tmp_path):
    path = tmp_path / "probe.py"
    path.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from benchgen.registry import x\n"
                    "import benchgen.render\n")
    assert imported_modules(path) == {"benchgen.render"}


def test_packages_have_no_import_cycle():
    edges = package_graph()
    assert {"registry", "measure", "render", "fetch", "providers"} <= set(edges)  # the graph is read
    assert cycles(edges) == []


def test_the_data_flows_one_way():
    edges = package_graph()
    # rendering never runs models, measuring never writes pages, the registry is data below both
    assert "measure" not in edges["render"] and "refresh" not in edges["render"]
    assert "render" not in edges["measure"]
    assert not {"measure", "refresh", "render", "cli", "results"} & edges["registry"]
    assert not {"registry", "measure", "refresh", "render", "cli"} & edges["providers"]
    assert not {"registry", "measure", "refresh", "render", "cli"} & edges["fetch"]
