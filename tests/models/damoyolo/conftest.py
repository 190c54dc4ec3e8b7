"""Fixtures for the DAMO-YOLO tests: the shared reference facts and one exported model reused by the
export and pipeline tests (exporting is the slow part)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from benchgen.models.damoyolo import build_model, export_onnx, to_deploy
from benchgen.models.damoyolo.config import variant_config
from benchgen.models.deterministic_weights import fill_deterministic
from tests.models.conftest import read_state_dict_tsv


@pytest.fixture(scope="session")
def official_layout(reference_dir):
    def layout(variant: str) -> dict[str, tuple[tuple[int, ...], str]]:
        path = reference_dir / f"{variant_config(variant).official_config}.state_dict.tsv"
        if not path.is_file():
            pytest.skip(f"{path} not available")
        return read_state_dict_tsv(path)

    return layout


@pytest.fixture(scope="session")
def official_counts(reference_dir) -> dict[str, dict[str, float]]:
    """The README table's train/deploy parameter counts and GFLOPs, keyed by official config name."""
    text = (reference_dir / "README.md").read_text()
    rows = {}
    for m in re.finditer(r"^\| (damoyolo_\w+) \| [^|]+ \| ([\d,]+) \| ([\d,]+) \| ([\d.]+) \|$", text, re.MULTILINE):
        rows[m.group(1)] = {
            "train_params": int(m.group(2).replace(",", "")),
            "deploy_params": int(m.group(3).replace(",", "")),
            "gflops": float(m.group(4)),
        }
    if not rows:
        pytest.skip("README.md has no DAMO-YOLO table")
    return rows


@pytest.fixture(scope="session")
def tiny_deployed():
    """DAMO-YOLO-T with the reference's deterministic weights, fused."""
    model = build_model("damo-yolo-t")
    fill_deterministic(model, seed=0)
    return to_deploy(model)


@pytest.fixture(scope="session")
def tiny_onnx(tmp_path_factory) -> Path:
    """DAMO-YOLO-T exported with its default stand-in weights (seed 0), dynamic batch axis."""
    path = tmp_path_factory.mktemp("onnx") / "damo-yolo-t.onnx"
    export_onnx("damo-yolo-t", path, dynamic_batch=True)
    return path
