"""Deploy conversion is exact: fused outputs equal unfused ones."""

from __future__ import annotations

import pytest
import torch

from benchgen.models.damoyolo import build_model, to_deploy
from benchgen.models.damoyolo.repconv import RepConv
from benchgen.models.deterministic_weights import fill_deterministic


def _randomise_bn_statistics(module: torch.nn.Module, generator: torch.Generator) -> None:
    """Non-trivial BN statistics, so a fusion that ignored mean/var/eps would be caught."""
    for m in module.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=generator))
            m.running_var.copy_(torch.rand(n, generator=generator) * 2 + 0.1)
            m.weight.data.copy_(torch.randn(n, generator=generator))
            m.bias.data.copy_(torch.randn(n, generator=generator))


@pytest.mark.parametrize(("stride", "identity", "act"), [(1, False, "relu"), (2, False, "silu"), (1, True, "identity")])
def test_repconv_fusion_is_exact(stride, identity, act):
    g = torch.Generator().manual_seed(7)
    block = RepConv(8, 8, stride=stride, act=act, identity=identity)
    _randomise_bn_statistics(block, g)
    block.eval()
    x = torch.randn(2, 8, 11, 13, generator=g)
    with torch.no_grad():
        expected = block(x)
        block.switch_to_deploy()
        fused = block(x)
    assert block.deployed
    assert set(dict(block.named_parameters())) == {"rbr_reparam.weight", "rbr_reparam.bias"}
    torch.testing.assert_close(fused, expected, rtol=1e-5, atol=1e-5)


def test_whole_model_fusion_is_exact_and_leaves_the_original_alone():
    model = build_model("damo-yolo-t")
    fill_deterministic(model, seed=1)
    deployed = to_deploy(model)

    assert not any(isinstance(m, RepConv) and not m.deployed for m in deployed.modules())
    assert not any("rbr_dense" in k or "rbr_1x1" in k for k in deployed.state_dict())
    assert any("rbr_dense" in k for k in model.state_dict())  # the train-mode model is untouched

    x = torch.rand(1, 3, 320, 320, generator=torch.Generator().manual_seed(0)) * 255
    with torch.no_grad():
        scores, boxes = model(x)
        fused_scores, fused_boxes = deployed(x)
    torch.testing.assert_close(fused_scores, scores, rtol=0, atol=1e-4)
    torch.testing.assert_close(fused_boxes, boxes, rtol=1e-5, atol=1e-3)
