"""Fixtures for the D-FINE / DEIM tests: the official models' facts recorded in data/ (how: data/README.md)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from benchgen.models.dfine.config import variant_config
from tests.models.conftest import read_state_dict_tsv
from tests.models.rtdetrv2.conftest import _match_rows

DATA = Path(__file__).resolve().parent / "data"
#: the variants whose 640 px golden forward takes more than a few seconds on two cores
HEAVY = ("d-fine-m", "d-fine-l", "d-fine-x", "deim-d-fine-m", "deim-d-fine-l", "deim-d-fine-x")
# Stand-in weights for the export tests. The reference recipe gives every learnable affine scale of
# N/S/M ~0.05 (randn * 0.05: the key ends in `.scale`, not `.weight`), which makes the features nearly
# input-independent and leaves exact ties among the top-300 that PyTorch and ONNX Runtime break
# differently; the export tests shift those scales by +1 (the official initial value is 1).
EXPORT_SEED = 5

def variant_params(variants):
    """pytest params with the heavy variants marked slow."""
    return [pytest.param(v, marks=pytest.mark.slow) if v in HEAVY else v for v in variants]


@pytest.fixture(scope="session")
def official_facts() -> dict[str, dict]:
    return json.loads((DATA / "official_facts.json").read_text())


@pytest.fixture(scope="session")
def official_layout():
    def layout(variant: str) -> dict[str, tuple[tuple[int, ...], str]]:
        return read_state_dict_tsv(DATA / f"{variant_config(variant).official_config}.state_dict.tsv")

    return layout


@pytest.fixture(scope="session")
def golden():
    def load(variant: str) -> dict[str, np.ndarray]:
        with np.load(DATA / f"{variant_config(variant).official_config}.golden.npz") as data:
            return {k: data[k] for k in data.files}

    return load


def golden_input(seed: int) -> torch.Tensor:
    """The goldens' input, regenerated rather than stored: torch.rand of the recorded seed."""
    return torch.rand(1, 3, 640, 640, generator=torch.Generator().manual_seed(int(seed)))


@pytest.fixture(scope="session")
def match_rows():
    return _match_rows


@pytest.fixture(scope="session")
def export_seed() -> int:
    return EXPORT_SEED


def export_weights(variant: str, path: Path, seed: int = EXPORT_SEED) -> Path:
    """An official-layout checkpoint (ema -> module) of fixed-seed weights with affine scales near 1."""
    from benchgen.models.deterministic_weights import fill_deterministic
    from benchgen.models.dfine import build_model

    model = build_model(variant)
    fill_deterministic(model, seed=seed)
    state = {k: (v + 1 if k.endswith("lab.scale") else v) for k, v in model.state_dict().items()}
    torch.save({"ema": {"module": state, "updates": 1}, "model": state}, path)
    return path


@pytest.fixture(scope="session")
def nano_weights(tmp_path_factory) -> Path:
    return export_weights("d-fine-n", tmp_path_factory.mktemp("weights") / "dfine_hgnetv2_n_coco.pth")


@pytest.fixture(scope="session")
def nano_onnx(tmp_path_factory, nano_weights) -> Path:
    """D-FINE-N exported from `nano_weights`, symbolic batch."""
    from benchgen.models.dfine import export_onnx

    path = tmp_path_factory.mktemp("onnx") / "d-fine-n.onnx"
    export_onnx("d-fine-n", path, weights=nano_weights)
    return path
