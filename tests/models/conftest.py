"""Fixtures every model family's tests share: the reference facts in ../shared/reference and a
thread limit for torch."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

REFERENCE = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference"


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
