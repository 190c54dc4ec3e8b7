"""DAMO-YOLO-S reproduces the official model's outputs (reference golden, deterministic weights)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from benchgen.models.damoyolo import build_model, to_deploy
from benchgen.models.deterministic_weights import fill_deterministic

GOLDEN = "damoyolo_tinynasL25_S.golden.npz"


@pytest.fixture(scope="module")
def golden_run(reference_dir):
    path = reference_dir / GOLDEN
    if not path.is_file():
        pytest.skip(f"{path} not available")
    golden = dict(np.load(path))
    model = build_model("damo-yolo-s")
    fill_deterministic(model, seed=0)
    threads = torch.get_num_threads()
    torch.set_num_threads(min(threads, 2))
    try:
        with torch.no_grad():
            scores, boxes = to_deploy(model)(torch.from_numpy(golden["input"]))
    finally:
        torch.set_num_threads(threads)
    return golden, scores.numpy(), boxes.numpy()


def test_scores_match_the_official_model(golden_run):
    golden, scores, _ = golden_run
    assert scores.shape == golden["scores"].shape == (1, 8400, 80)
    np.testing.assert_allclose(scores, golden["scores"], rtol=0, atol=2e-4)


def test_boxes_match_the_official_model(golden_run):
    golden, _, boxes = golden_run
    assert boxes.shape == golden["boxes"].shape == (1, 8400, 4)
    # boxes are in pixels (up to 640): float32 resolution there is ~6e-5
    np.testing.assert_allclose(boxes, golden["boxes"], rtol=1e-6, atol=2e-4)

