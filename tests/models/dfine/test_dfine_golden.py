"""The official D-FINE / DEIM models' outputs, reproduced with the reference's deterministic weights.

data/*.golden.npz hold, per variant, the official deploy model's last-layer pred_logits / pred_boxes
and its post-processor's labels / boxes / scores for orig_target_sizes [[640, 480]], on
torch.rand(1, 3, 640, 640) of the recorded seed (data/README.md says how they were made).

Outputs are compared as sets (rows paired one-to-one by the Hungarian method), to 1e-5 of the
golden's largest magnitude (the observed agreement is 1e-6 relative, float32 noise). One thing is not decidable: with these stand-in weights the N and M
backbones (whose learnable affine scales are ~0.05) give almost input-independent features, so the
encoder's best scores sit within a float32 rounding step of each other at the top-300 boundary, and
which of those tied positions is selected differs between any two implementations. A query selected
from such a tie may be unmatched (and, paired one-to-one, displace a near-identical neighbour): where
our own encoder scores show such a tie, at most MAX_TIED_ROWS rows may differ; elsewhere none.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.optimize import linear_sum_assignment

from benchgen.models.deterministic_weights import fill_deterministic
from benchgen.models.dfine import VARIANTS, build_model, to_deploy
from benchgen.models.rtdetrv2.postprocessor import PostProcessor

from tests.models.dfine.conftest import golden_input, variant_params

RTOL = 1e-3  # of the golden's largest |value|: the train-mode check (whose float noise is larger)
SAME = 1e-5  # of the golden's largest |value|: rows further apart are other queries (float noise: ~1e-6)
MAX_TIED_ROWS = 4  # beyond that the golden would decide too little
TIE_ULPS = 8  # encoder scores this many float32 steps from the 301st best may swap under float rounding


def _pairing(ours: np.ndarray, theirs: np.ndarray, tol: float) -> tuple[np.ndarray, float]:
    """Pair rows one-to-one (minimum total max-abs distance): the rows of `ours` whose pair is further
    than `tol`, and the worst distance among the other pairs."""
    distance = np.abs(ours[None, :, :] - theirs[:, None, :]).max(-1)
    rows, cols = linear_sum_assignment(distance)
    paired = distance[rows, cols]
    within = paired[paired <= tol]
    return cols[paired > tol], float(within.max()) if within.size else float("inf")


def _tied_selections(encoder_logits: torch.Tensor, k: int) -> int:
    """How many of the k selected positions score within TIE_ULPS float32 steps of the best unselected one."""
    best = encoder_logits.max(-1).values[0].sort(descending=True).values
    first_out = best[k].numpy()
    return int((best[:k].numpy() - first_out <= TIE_ULPS * np.spacing(first_out)).sum())


def _run(variant: str, seed: int):
    model = build_model(variant)
    fill_deterministic(model, seed=0)
    deployed = to_deploy(model)
    captured = {}
    deployed.decoder.enc_score_head.register_forward_hook(lambda _m, _i, out: captured.__setitem__("logits", out))
    with torch.no_grad():
        out = deployed(golden_input(seed))
    ties = _tied_selections(captured["logits"], deployed.decoder.cfg.num_queries)
    return model, out, ties


@pytest.fixture(scope="module")
def results(golden):
    cache = {}

    def get(variant):
        if variant not in cache:
            g = golden(variant)
            cache[variant] = (g, *_run(variant, int(g["input_seed"])))
        return cache[variant]

    return get


def _rows(logits, boxes) -> np.ndarray:
    return np.concatenate([np.asarray(logits)[0], np.asarray(boxes)[0]], -1)


def _unmatched_queries(out, g, ties: int) -> np.ndarray:
    """Our queries that pair with no golden query; at most the boundary ties, and for those only."""
    theirs = _rows(g["pred_logits"], g["pred_boxes"])
    scale = np.abs(theirs).max()
    ours = _rows(out["pred_logits"], out["pred_boxes"])
    different, _ = _pairing(ours, theirs, SAME * scale)
    assert len(different) <= (MAX_TIED_ROWS if ties else 0), \
        f"{len(different)} of 300 rows are other queries ({ties} selected queries tied at the boundary)"
    return different


@pytest.mark.parametrize("variant", variant_params(VARIANTS))
def test_network_outputs_match_the_golden_as_a_set(variant, results):
    g, _model, out, ties = results(variant)
    _unmatched_queries(out, g, ties)


def _detection_rows(labels, boxes) -> np.ndarray:
    # a label mismatch costs 1e4, so rows pair only with the same label and the same box (original pixels)
    return np.concatenate([np.asarray(labels)[0][:, None] * 1e4, np.asarray(boxes)[0] / 640], -1)


@pytest.mark.parametrize("variant", variant_params(VARIANTS))
def test_postprocessor_reproduces_the_golden_from_the_golden_network_outputs(variant, golden):
    """The post-processor alone, on the official model's own network outputs: no tie can differ, so every
    detection must match."""
    g = golden(variant)
    labels, boxes, scores = PostProcessor(80, 300)(torch.from_numpy(g["pred_logits"]), torch.from_numpy(g["pred_boxes"]),
                                                  torch.from_numpy(g["orig_target_size"]))
    np.testing.assert_allclose(scores[0].numpy(), g["scores"][0], rtol=0, atol=SAME * np.abs(g["scores"]).max())
    unmatched, _ = _pairing(_detection_rows(labels, boxes), _detection_rows(g["labels"], g["boxes"]), SAME)
    assert not len(unmatched), f"{len(unmatched)} detections differ"


def _source_queries(logits) -> np.ndarray:
    """Which query each post-processed detection came from: the post-processor's own top-k over queries x classes."""
    return (torch.topk(torch.as_tensor(logits).sigmoid().flatten(1), 300, dim=-1).indices[0] // 80).numpy()


@pytest.mark.parametrize("variant", variant_params(VARIANTS))
def test_postprocessor_outputs_match_the_golden(variant, results):
    """End to end, on our network outputs: a detection may differ only through a query that differs (a
    boundary tie, see the module docstring). Such a query's detections, on either side, are set aside; the
    places they took or freed in the top 300 are filled by detections at the golden's lowest kept score;
    every other detection must match."""
    g, _model, out, ties = results(variant)
    labels, boxes, scores = PostProcessor(80, 300)(out["pred_logits"], out["pred_boxes"],
                                                  torch.from_numpy(g["orig_target_size"]))
    np.testing.assert_allclose(scores[0].numpy(), g["scores"][0], rtol=0, atol=RTOL * np.abs(g["scores"]).max())
    ours_q, theirs_q = _rows(out["pred_logits"], out["pred_boxes"]), _rows(g["pred_logits"], g["pred_boxes"])
    ours_differ = set(_unmatched_queries(out, g, ties).tolist())
    theirs_differ = set(_pairing(theirs_q, ours_q, SAME * np.abs(theirs_q).max())[0].tolist())
    ours_rows = [i for i, q in enumerate(_source_queries(out["pred_logits"])) if q not in ours_differ]
    theirs_rows = [i for i, q in enumerate(_source_queries(g["pred_logits"])) if q not in theirs_differ]
    ours, theirs = _detection_rows(labels, boxes), _detection_rows(g["labels"], g["boxes"])
    unmatched, _ = _pairing(ours[ours_rows], theirs[theirs_rows], SAME)
    lowest_kept = float(np.min(g["scores"][0])) + RTOL * np.abs(g["scores"]).max()
    unexplained = [ours_rows[i] for i in unmatched if float(scores[0][ours_rows[i]]) > lowest_kept]
    assert not unexplained, f"{len(unexplained)} detections of matched queries above the top-300 boundary differ"
    if not ours_differ:
        assert len(ours_rows) == 300 and not len(unmatched), "detections differ although every query matched"


@pytest.mark.parametrize("variant", ["d-fine-s", "deim-d-fine-n"])
def test_train_mode_structure_matches_the_golden_too(variant, results):
    """Unfused and fused forms are the same function; the golden pins both to the official model."""
    g, model, _out, ties = results(variant)
    with torch.no_grad():
        out = model(golden_input(int(g["input_seed"])))
    theirs = _rows(g["pred_logits"], g["pred_boxes"])
    tol = RTOL * np.abs(theirs).max()
    assert not len(_pairing(_rows(out["pred_logits"], out["pred_boxes"]), theirs, tol)[0])
