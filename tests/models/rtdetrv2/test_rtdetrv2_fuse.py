"""Deploy conversion changes the form, not the function."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from benchgen.models.rtdetrv2 import build_model, to_deploy
from benchgen.models.rtdetrv2.hybrid_encoder import RepVggBlock
from benchgen.models.rtdetrv2.layers import FrozenBatchNorm2d
from benchgen.models.deterministic_weights import fill_deterministic


def _randomise_norm_statistics(model: nn.Module, seed: int) -> None:
    """Running statistics far from (0, 1), so a wrong fold cannot hide behind near-identity norms."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm2d, FrozenBatchNorm2d)):
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.5)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) * 2 + 0.2)
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) * 0.5 + 1)
                m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.2)


def test_repvgg_block_fuses_exactly():
    block = RepVggBlock(16, 16, "silu").eval()
    _randomise_norm_statistics(block, seed=1)
    x = torch.randn(2, 16, 12, 10, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        before = block(x)
        block.switch_to_deploy()
        after = block(x)
    assert not hasattr(block, "conv1") and not hasattr(block, "conv2")
    torch.testing.assert_close(after, before, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("variant", ["rtdetrv2-s", "rtdetrv2-m"])  # BatchNorm / frozen-norm backbones
def test_deployed_model_equals_the_train_structure(variant, match_rows):
    model = build_model(variant)
    fill_deterministic(model, seed=3)
    _randomise_norm_statistics(model, seed=4)
    deployed = to_deploy(model)
    images = torch.rand(1, 3, 320, 320, generator=torch.Generator().manual_seed(7))
    encoder_scores = {}
    hook = model.decoder.enc_score_head.register_forward_hook(lambda _m, _i, out: encoder_scores.update(s=out))
    with torch.no_grad():
        expected, actual = model(images), deployed(images)
    hook.remove()
    # precondition: the 300 selected queries are separated from the rest by far more than rounding
    top = torch.topk(encoder_scores["s"].max(-1).values[0], 301).values
    assert top[299] - top[300] > 1e-4

    def rows(out):
        return torch.cat([out["pred_logits"][0], out["pred_boxes"][0]], -1).numpy()

    _, worst = match_rows(rows(actual), rows(expected))
    assert worst < 1e-4


def test_deploy_form_has_no_norms_branches_or_unused_layers():
    model = build_model("rtdetrv2-m")
    deployed = to_deploy(model)
    kinds = {type(m) for m in deployed.modules()}
    assert not kinds & {nn.BatchNorm2d, FrozenBatchNorm2d, nn.Embedding}
    assert all(m.deployed for m in deployed.modules() if isinstance(m, RepVggBlock))
    # RT-DETRv2-M evaluates after its 3rd decoder layer: later layers and heads are never run
    assert len(deployed.decoder.decoder.layers) == len(deployed.decoder.dec_score_head) == 3
    # the train-mode original is untouched and still loads official checkpoints
    assert len(model.decoder.decoder.layers) == 6
    assert any(isinstance(m, FrozenBatchNorm2d) for m in model.modules())
