"""Fixtures for the DAMO-YOLO tests: the shared reference facts and one exported model reused by the
export and pipeline tests (exporting is the slow part)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from benchgen.models.damoyolo import build_model, export_onnx, to_deploy
from benchgen.models.damoyolo.config import variant_config
from benchgen.models.deterministic_weights import fill_deterministic

REFERENCE = Path(__file__).resolve().parents[3] / ".." / "shared" / "reference"


@pytest.fixture(autouse=True)
def _two_threads():
    """CI has two cores shared with other jobs; keep torch from oversubscribing them."""
    previous = torch.get_num_threads()
    torch.set_num_threads(min(previous, 2))
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    if not REFERENCE.is_dir():
        pytest.skip(f"shared reference facts not available at {REFERENCE.resolve()}")
    return REFERENCE


def read_state_dict_tsv(path: Path) -> dict[str, tuple[tuple[int, ...], str]]:
    """`key <TAB> AxBxC <TAB> dtype` lines -> {key: (shape, dtype)}, in file order."""
    layout = {}
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        key, shape, dtype = line.split("\t")
        layout[key] = (tuple(int(d) for d in shape.split("x")) if shape else (), dtype)
    return layout


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
