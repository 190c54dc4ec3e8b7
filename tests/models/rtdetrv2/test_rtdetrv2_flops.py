"""Compute cost agrees with the official figures (counted on the meta device: no arithmetic runs)."""

from __future__ import annotations

import pytest

from benchgen.models.rtdetrv2 import VARIANTS
from benchgen.models.rtdetrv2.config import variant_config
from benchgen.models.rtdetrv2.flops import count_variant

# GFLOPs at 640 x 640 as published in the RT-DETRv2 README / paper (S, r34vd, M, L, X)
PUBLISHED_GFLOPS = {"rtdetrv2-s": 60, "rtdetrv2-r34vd": 92, "rtdetrv2-m": 100, "rtdetrv2-l": 136, "rtdetrv2-x": 259}


@pytest.mark.parametrize("variant", VARIANTS)
def test_published_gflops(variant):
    """Conv + linear MACs x 2 of the train-mode model, within 1 % of the published whole numbers."""
    assert count_variant(variant).published_gflops == pytest.approx(PUBLISHED_GFLOPS[variant], rel=1e-2)


@pytest.mark.parametrize("variant", VARIANTS)
def test_thop_count_of_the_official_deploy_form(variant, official_counts):
    """The reference README's thop figures; exact to 0.01 G for the trainable-BN backbones, within 0.2 %
    for the frozen-BN r50/r101 ones (thop's per-module rules differ slightly from these hooks)."""
    expected = official_counts[variant_config(variant).official_config]["gflops"]
    assert count_variant(variant, repvgg_fused=True).thop_gflops == pytest.approx(expected, rel=2e-3)


def test_attention_adds_a_little_on_top():
    count = count_variant("rtdetrv2-s")
    assert 0 < count.total_gflops - count.published_gflops < 0.03 * count.published_gflops
