"""A five-line private family builds into a strict MkDocs site beside published families."""

from __future__ import annotations

import numpy as np
import yaml

from tests.conftest import two_family_docs, write_registry
from tests.decoders.builders import constant_onnx
from tests.site.conftest import build_site


def test_five_line_family_pages_build_strictly_and_show_no_empty_facts(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCHGEN_CACHE_DIR", str(tmp_path / "cache"))
    onnx_path = constant_onnx(tmp_path / "mine.onnx", {"output0": np.zeros((1, 300, 6), np.float32)}, 64,
                              metadata={"author": "Ultralytics", "task": "detect", "end2end": "True"})
    registry = write_registry(tmp_path / "registry", two_family_docs())
    (registry / "mine.yaml").write_text(yaml.safe_dump({"id": "mine", "name": "Mine", "variants": [
        {"id": "mine-a", "name": "Mine A", "input_size": 64, "onnx": str(onnx_path)}]}))
    site = build_site(tmp_path / "project", registry_dir=registry)
    family = (site / "families" / "mine" / "index.html").read_text(encoding="utf-8")
    assert "Mine A" in family and "bg-facts" not in family and "Key innovations" not in family
    assert "None" not in family.split("<article", 1)[1].split("</article>", 1)[0]
    compare = (site / "compare" / "alpha-vs-mine" / "index.html").read_text(encoding="utf-8")
    assert "This page compares Alpha (Org, 2024) and Mine." in compare
