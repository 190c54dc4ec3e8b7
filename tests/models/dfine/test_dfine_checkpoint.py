"""Official D-FINE and DEIM checkpoints load strictly: every variant's state dict is the official one,
key for key and shape for shape, and the wrong file fails with an error naming it and the problem."""

from __future__ import annotations

import collections

import pytest
import torch

from benchgen.errors import CheckpointError
from benchgen.models.checkpoint_io import looks_like
from benchgen.models.deterministic_weights import fill_deterministic
from benchgen.models.dfine import VARIANTS, build_model, load_checkpoint


def _layout(model: torch.nn.Module) -> dict[str, tuple[tuple[int, ...], str]]:
    return {k: (tuple(v.shape), str(v.dtype)) for k, v in model.state_dict().items()}


@pytest.mark.parametrize("variant", VARIANTS)
def test_state_dict_is_the_official_listing_and_loads_it_strictly(variant, official_layout, official_facts):
    """Same keys (in the official order), shapes and dtypes as the official model's state_dict(), so a
    checkpoint laid out as the listing loads with strict=True; the same parameter count."""
    from benchgen.models.dfine.config import variant_config

    model = build_model(variant)
    facts = official_facts[variant_config(variant).official_config]
    assert sum(p.numel() for p in model.parameters()) == facts["train_params"]
    ours, theirs = _layout(model), official_layout(variant)
    assert list(ours) == list(theirs)
    assert ours == theirs
    state = {k: torch.zeros(shape, dtype=getattr(torch, dtype.removeprefix("torch.")))
             for k, (shape, dtype) in theirs.items()}
    model.load_state_dict(state, strict=True)


@pytest.mark.parametrize("size", ["n", "s", "m", "l", "x"])
def test_deim_models_are_d_fine_architectures(size, official_layout):
    """DEIM's listing is D-FINE's, except that L/X keep trainable backbone BatchNorm (num_batches_tracked)."""
    dfine, deim = official_layout(f"d-fine-{size}"), official_layout(f"deim-d-fine-{size}")
    extra = set(deim) - set(dfine)
    assert set(dfine) <= set(deim)
    assert all(dfine[k] == deim[k] for k in dfine)
    if size in ("l", "x"):
        assert extra and all(k.startswith("backbone.") and k.endswith(".num_batches_tracked") for k in extra)
    else:
        assert not extra


@pytest.fixture(scope="module")
def nano_state() -> dict[str, torch.Tensor]:
    model = build_model("d-fine-n")
    fill_deterministic(model, seed=11)
    return model.state_dict()


def _assert_loaded(model, state):
    loaded = model.state_dict()
    assert all(torch.equal(loaded[k], v) for k, v in state.items())


def test_training_checkpoint_loads_the_ema_weights(tmp_path, nano_state):
    path = tmp_path / "dfine_hgnetv2_n_coco.pth"
    raw = {k: (v + 1 if v.is_floating_point() else v) for k, v in nano_state.items()}
    torch.save({"ema": {"module": nano_state, "updates": 1000}, "model": raw, "last_epoch": 159}, path)
    model = build_model("d-fine-n")
    load_checkpoint(model, path)
    _assert_loaded(model, nano_state)


@pytest.mark.parametrize("layout", ["model", "bare"])
def test_model_entry_and_bare_state_dict_load(tmp_path, nano_state, layout):
    path = tmp_path / "weights.pth"
    torch.save({"model": nano_state} if layout == "model" else collections.OrderedDict(nano_state), path)
    model = build_model("deim-d-fine-n")  # DEIM-N has D-FINE-N's state dict
    load_checkpoint(model, path)
    _assert_loaded(model, nano_state)


def test_checkpoint_of_another_size_names_the_file_and_the_mismatches(tmp_path, nano_state):
    path = tmp_path / "dfine_hgnetv2_n_coco.pth"
    torch.save({"model": nano_state}, path)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(build_model("d-fine-s"), path)
    message = str(info.value)
    assert str(path) in message and "does not match this architecture" in message
    assert "shape mismatches" in message


def test_a_deim_l_checkpoint_does_not_pass_for_d_fine_l(tmp_path, official_layout):
    """DEIM-L's trainable backbone BatchNorm has counters D-FINE-L's frozen one lacks: strict loading tells them apart."""
    state = build_model("deim-d-fine-l").state_dict()
    path = tmp_path / "deim_hgnetv2_l_coco.pth"
    torch.save({"model": state}, path)
    with pytest.raises(CheckpointError, match="unexpected keys: backbone.stem.stem1.bn.num_batches_tracked"):
        load_checkpoint(build_model("d-fine-l"), path)


def test_d_fine_and_rt_detrv2_checkpoints_are_told_apart(nano_state):
    from benchgen.models.rtdetrv2 import build_model as build_rtdetrv2

    assert looks_like(nano_state) == "D-FINE"
    assert looks_like(build_rtdetrv2("rtdetrv2-s").state_dict()) == "RT-DETRv2"


def test_rt_detrv2_variant_given_a_d_fine_checkpoint_says_so(tmp_path, nano_state):
    from benchgen.models.rtdetrv2 import build_model as build_rtdetrv2
    from benchgen.models.rtdetrv2 import load_checkpoint as load_rtdetrv2

    path = tmp_path / "dfine_hgnetv2_n_coco.pth"
    torch.save({"model": nano_state}, path)
    with pytest.raises(CheckpointError, match="looks like a D-FINE checkpoint"):
        load_rtdetrv2(build_rtdetrv2("rtdetrv2-s"), path)
