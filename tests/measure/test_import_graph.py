"""measure/ imports in one direction: no module of it imports one that imports it back, not even
inside a function (a lazy import is still a dependency, and a cycle of them is how the TensorRT
module once ended up answering PyTorch CUDA's GPU questions)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

MEASURE = REPO / "benchgen" / "measure"


def module_name(path: Path) -> str:
    """A measure module by its leaf name (`rounds`, `gpu`): leaf names are unique across its subpackages."""
    return path.stem


def imports_of(path: Path) -> set[str]:
    """benchgen.measure modules `path` imports anywhere in its body (module level or in functions), by leaf name."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "benchgen.measure" or node.module in SUBPACKAGES:
                found.update(alias.name for alias in node.names)
            elif node.module.startswith("benchgen.measure."):
                found.add(node.module.rsplit(".", 1)[1])
        elif isinstance(node, ast.Import):
            found.update(a.name.rsplit(".", 1)[1] for a in node.names if a.name.startswith("benchgen.measure."))
    return found


SUBPACKAGES = {f"benchgen.measure.{p.parent.name}" for p in MEASURE.glob("*/__init__.py")}


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in MEASURE.rglob("*.py") if p.stem != "__init__"}
    assert len(modules) == len([p for p in MEASURE.rglob("*.py") if p.stem != "__init__"]), "two modules share a name"
    return {name: {m for m in imports_of(path) if m in modules and m != name} for name, path in modules.items()}


def test_measure_is_split_by_job():
    """accuracy/, timing/, backends/ and graph/: only the request type sits at the top."""
    assert {p.parent.name for p in MEASURE.glob("*/__init__.py")} == {"accuracy", "timing", "backends", "graph"}
    assert sorted(p.name for p in MEASURE.glob("*.py")) == ["__init__.py", "request.py"]


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    found, state = [], {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                found.append(path[path.index(nxt):] + [nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = "done"

    for start in sorted(edges):
        if start not in state:
            visit(start, [start])
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_measure_has_no_import_cycle():
    edges = graph()
    assert "runners" in edges and "tensorrt_engine" in edges  # the graph is read, not empty
    assert cycles(edges) == []


def test_gpu_discovery_and_feed_binding_are_leaves_the_backends_share():
    edges = graph()
    assert edges["feeds"] == set()
    assert edges["gpu"] == set()
    assert "tensorrt_engine" not in edges["latency_torch"] and "tensorrt_engine" not in edges["evaluate"]
    assert "runners" not in edges["tensorrt_engine"]


def test_a_metric_key_is_spelled_in_few_modules():
    """A metric's facts live in benchgen/metrics.py; besides it, only the module that measures it names it."""
    sources = [p for p in (REPO / "benchgen").rglob("*.py")] + list((REPO / "templates").glob("*.j2"))
    texts = {p: p.read_text() for p in sources}
    for key, limit in (("latency_torch_cuda_ms", 3), ("latency_cpu_ms", 5), ("latency_trt_ms", 3)):
        spelled = sorted(str(p.relative_to(REPO)) for p, text in texts.items() if key in text)
        assert "benchgen/metrics.py" in spelled and len(spelled) <= limit, (key, spelled)
