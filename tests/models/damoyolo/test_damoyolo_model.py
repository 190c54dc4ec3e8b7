"""The built models have the official checkpoint layout, parameter counts and FLOPs."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml

from benchgen.models import implementation
from benchgen.models.damoyolo import VARIANTS, build_model, to_deploy
from benchgen.models.damoyolo.config import variant_config
from benchgen.models.damoyolo.flops import count_macs

REGISTRY = Path(__file__).resolve().parents[3] / "benchgen" / "registry" / "data" / "damo-yolo.yaml"


def test_implementation_is_registered_under_the_registry_name():
    module = implementation("damo-yolo")
    assert module.VARIANTS == ("damo-yolo-t", "damo-yolo-s", "damo-yolo-m", "damo-yolo-l")
    for name in ("build_model", "load_checkpoint", "to_deploy", "export_onnx", "make_pipeline"):
        assert callable(getattr(module, name))


def test_variants_match_the_registry_and_its_official_configs():
    registry = yaml.safe_load(REGISTRY.read_text())
    configs = {v["id"]: v["config"] for v in registry["variants"]}
    assert set(configs) == set(VARIANTS)
    for variant in VARIANTS:
        assert variant_config(variant).official_config == configs[variant]


def test_unknown_variant_is_rejected_by_name():
    with pytest.raises(KeyError, match="damo-yolo-xl"):
        build_model("damo-yolo-xl")


@pytest.mark.parametrize("variant", VARIANTS)
def test_state_dict_has_official_keys_shapes_and_dtypes(variant, official_layout):
    expected = official_layout(variant)
    with torch.device("meta"):  # layout only: no memory, no init cost
        state = build_model(variant).state_dict()
    actual = {k: (tuple(v.shape), str(v.dtype)) for k, v in state.items()}
    assert sorted(set(expected) - set(actual)) == []  # missing
    assert sorted(set(actual) - set(expected)) == []  # unexpected
    assert {k: v for k, v in actual.items() if expected[k] != v} == {}
    assert list(actual) == list(expected)  # same order too, so dumps diff line by line


@pytest.mark.parametrize("variant", VARIANTS)
def test_parameter_counts_equal_the_official_ones(variant, official_counts):
    counts = official_counts[variant_config(variant).official_config]
    with torch.device("meta"):
        model = build_model(variant)
    deployed = to_deploy(model)
    assert sum(p.numel() for p in model.parameters()) == counts["train_params"]
    assert sum(p.numel() for p in deployed.parameters()) == counts["deploy_params"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_flops_at_640_within_one_percent_of_the_official(variant, official_counts):
    official = official_counts[variant_config(variant).official_config]["gflops"]
    with torch.device("meta"):  # shapes are all a MAC count needs
        deployed = to_deploy(build_model(variant))
        gflops = 2 * count_macs(deployed, torch.zeros(1, 3, 640, 640)) / 1e9
    assert gflops == pytest.approx(official, rel=0.01)


def test_mac_count_of_a_known_network():
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.Conv2d(8, 8, 1, groups=2),
                              torch.nn.Flatten(), torch.nn.Linear(8 * 4 * 4, 10))
    macs = count_macs(net, torch.zeros(2, 3, 4, 4))
    per_image = 8 * 16 * 27 + 8 * 16 * 4 + 10 * 128
    assert macs == 2 * per_image


def test_outputs_have_the_head_layout():
    model = build_model("damo-yolo-t")
    with torch.no_grad():
        scores, boxes = model(torch.zeros(2, 3, 128, 96))
    anchors = (16 * 12) + (8 * 6) + (4 * 3)
    assert scores.shape == (2, anchors, 80)
    assert boxes.shape == (2, anchors, 4)
    assert float(scores.min()) >= 0.0 and float(scores.max()) <= 1.0
