"""The official RT-DETRv2 r34vd's outputs, reproduced with the reference's deterministic weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from benchgen.models.rtdetrv2 import build_model, to_deploy
from benchgen.models.rtdetrv2.postprocessor import PostProcessor
from benchgen.models.deterministic_weights import fill_deterministic

ATOL = 2e-4  # logits reach ~3, boxes ~1 (normalised) / ~750 px: about 1e-4 relative, as the reference says


@pytest.fixture(scope="module")
def train_model():
    model = build_model("rtdetrv2-r34vd")
    fill_deterministic(model, seed=0)
    return model


@pytest.fixture(scope="module")
def deploy_outputs(train_model, golden):
    """One 640x640 forward of the deploy form, as the reference was produced."""
    with torch.no_grad():
        return to_deploy(train_model)(torch.from_numpy(golden["input"]))


def _rows(outputs) -> np.ndarray:
    return np.concatenate([np.asarray(outputs["pred_logits"])[0], np.asarray(outputs["pred_boxes"])[0]], -1)


def test_network_outputs_match_the_golden_as_a_set(deploy_outputs, golden, match_rows):
    _, worst = match_rows(_rows({k: v.numpy() for k, v in deploy_outputs.items()}), _rows(golden))
    assert worst < ATOL


def test_postprocessor_outputs_match_the_golden(deploy_outputs, golden, match_rows):
    labels, boxes, scores = PostProcessor(80, 300)(
        deploy_outputs["pred_logits"], deploy_outputs["pred_boxes"], torch.from_numpy(golden["orig_target_size"]))
    np.testing.assert_allclose(scores[0].numpy(), golden["scores"][0], atol=ATOL)  # sorted, so order-free
    # a label mismatch costs 1e4, so rows pair only with the same label and the same box (original pixels)
    ours = np.concatenate([labels[0].numpy()[:, None] * 1e4, boxes[0].numpy() / 640], -1)
    theirs = np.concatenate([golden["labels"][0][:, None] * 1e4, golden["boxes"][0] / 640], -1)
    _, worst = match_rows(ours, theirs)
    assert worst < ATOL


def test_train_mode_structure_matches_the_golden_too(train_model, golden, match_rows):
    """Unfused and fused forms are the same function; the golden pins both to the official model."""
    with torch.no_grad():
        out = train_model(torch.from_numpy(golden["input"]))
    _, worst = match_rows(_rows({k: v.numpy() for k, v in out.items()}), _rows(golden))
    assert worst < ATOL
