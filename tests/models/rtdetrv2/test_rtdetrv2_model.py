"""The model has the official state-dict layout and parameter counts; variants differ only by data."""

from __future__ import annotations

import pytest
import torch

from benchgen.models.rtdetrv2 import VARIANTS, build_model
from benchgen.models.rtdetrv2.config import load_variants, variant_config


def test_variants_file_lists_exactly_the_public_variants():
    assert tuple(load_variants()) == VARIANTS


@pytest.mark.parametrize("variant", VARIANTS)
def test_state_dict_keys_shapes_and_dtypes_match_the_official_checkpoint(variant, official_layout):
    expected = official_layout(variant)
    state = build_model(variant).state_dict()
    ours = {k: (tuple(v.shape), str(v.dtype)) for k, v in state.items()}
    missing = [k for k in expected if k not in ours]
    unexpected = [k for k in ours if k not in expected]
    assert not missing and not unexpected, f"missing {missing[:5]}, unexpected {unexpected[:5]}"
    wrong = {k: (ours[k], expected[k]) for k in expected if ours[k] != expected[k]}
    assert not wrong, f"(ours, official) differ: {dict(list(wrong.items())[:5])}"
    assert list(ours) == list(expected), "same entries, different order"


@pytest.mark.parametrize("variant", VARIANTS)
def test_train_mode_parameter_count_equals_the_official_count(variant, official_counts):
    expected = official_counts[variant_config(variant).official_config]["train_params"]
    assert sum(p.numel() for p in build_model(variant).parameters()) == expected


def test_per_variant_settings_follow_the_official_configs():
    settings = {
        v: (c.backbone.depth, c.backbone.freeze_norm, c.encoder.hidden_dim, c.encoder.expansion,
            c.encoder.dim_feedforward, c.decoder.num_layers, c.decoder.eval_layer)
        for v, c in load_variants().items()
    }
    assert settings == {
        "rtdetrv2-s": (18, False, 256, 0.5, 1024, 3, 2),
        "rtdetrv2-r34vd": (34, False, 256, 0.5, 1024, 4, 3),
        "rtdetrv2-m": (50, True, 256, 0.5, 1024, 6, 2),  # "use 3th decoder layer to eval"
        "rtdetrv2-l": (50, True, 256, 1.0, 1024, 6, 5),
        "rtdetrv2-x": (101, True, 384, 1.0, 2048, 6, 5),
    }
    for cfg in load_variants().values():
        assert cfg.decoder.num_points == (4, 4, 4) and cfg.decoder.cross_attn_method == "default"
        assert cfg.eval_spatial_size == (640, 640) and cfg.num_top_queries == 300


def test_unknown_variant_is_a_clear_error():
    with pytest.raises(KeyError, match="rtdetrv2-s"):
        build_model("rtdetrv2-xxl")


def test_outputs_have_the_agreed_shapes_at_other_input_sizes():
    """Off the eval size, anchors are generated for the actual feature maps, as official training does."""
    model = build_model("rtdetrv2-s")
    with torch.no_grad():
        out = model(torch.rand(2, 3, 256, 320, generator=torch.Generator().manual_seed(0)))
    assert out["pred_logits"].shape == (2, 300, 80)
    assert out["pred_boxes"].shape == (2, 300, 4)
    assert torch.all((out["pred_boxes"] >= 0) & (out["pred_boxes"] <= 1))


def test_registry_variants_name_the_configs_built_here():
    """The registry's `config` for each variant is the official config these settings were taken from."""
    from benchgen.registry import load_registry

    family = load_registry().family("rtdetrv2")
    assert {v.id: (v.config, v.input_size) for v in family.variants} == {
        name: (cfg.official_config, cfg.eval_spatial_size[0]) for name, cfg in load_variants().items()}
