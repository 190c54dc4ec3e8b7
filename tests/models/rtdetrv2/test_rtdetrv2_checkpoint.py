"""Official checkpoints load strictly; anything else fails with an error naming the file and the problem."""

from __future__ import annotations

import collections

import pytest
import torch

from benchgen.errors import CheckpointError
from benchgen.models.rtdetrv2 import build_model, load_checkpoint
from benchgen.models.deterministic_weights import fill_deterministic


@pytest.fixture(scope="module")
def small_state() -> dict[str, torch.Tensor]:
    model = build_model("rtdetrv2-s")
    fill_deterministic(model, seed=11)
    return model.state_dict()


@pytest.fixture(scope="module")
def official_file(tmp_path_factory, small_state):
    """Laid out like the official training checkpoint: EMA weights under ema -> module, plus the raw
    `model` weights (deliberately different here, to see which ones load)."""
    path = tmp_path_factory.mktemp("ckpt") / "rtdetrv2_r18vd_120e_coco.pth"
    raw = {k: (v + 1 if v.is_floating_point() else v) for k, v in small_state.items()}
    torch.save({"ema": {"module": small_state, "updates": 1000}, "model": raw, "last_epoch": 119}, path)
    return path


def _assert_loaded(model, state):
    loaded = model.state_dict()
    assert all(torch.equal(loaded[k], v) for k, v in state.items())


def test_official_checkpoint_loads_the_ema_weights(official_file, small_state):
    model = build_model("rtdetrv2-s")
    load_checkpoint(model, official_file)
    _assert_loaded(model, small_state)


@pytest.mark.parametrize("layout", ["model", "bare"])
def test_model_entry_and_bare_state_dict_load(tmp_path, small_state, layout):
    path = tmp_path / "weights.pth"
    torch.save({"model": small_state} if layout == "model" else collections.OrderedDict(small_state), path)
    model = build_model("rtdetrv2-s")
    load_checkpoint(model, path)
    _assert_loaded(model, small_state)


def test_checkpoint_of_another_variant_names_the_file_and_the_mismatches(official_file):
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(build_model("rtdetrv2-r34vd"), official_file)
    message = str(info.value)
    assert str(official_file) in message
    assert "missing keys: backbone.res_layers.0.blocks.2" in message  # r34 has 3 blocks in stage 1, r18 has 2
    assert " more" in message  # long listings are cut, not dumped


def test_shape_mismatch_is_named(tmp_path, small_state):
    state = dict(small_state)
    state["decoder.enc_score_head.weight"] = torch.zeros(91, 256)
    path = tmp_path / "other_classes.pth"
    torch.save(state, path)
    with pytest.raises(CheckpointError, match=r"shape mismatches: decoder\.enc_score_head\.weight "
                                              r"\(checkpoint \(91, 256\), model \(80, 256\)\)"):
        load_checkpoint(build_model("rtdetrv2-s"), path)


def test_unexpected_keys_are_named(tmp_path, small_state):
    path = tmp_path / "extra.pth"
    torch.save({**small_state, "decoder.tgt_embed.weight": torch.zeros(300, 256)}, path)
    with pytest.raises(CheckpointError, match=r"unexpected keys: decoder\.tgt_embed\.weight"):
        load_checkpoint(build_model("rtdetrv2-s"), path)


def test_corrupt_truncated_and_missing_files(tmp_path, official_file):
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"\x00not a checkpoint" * 64)
    truncated = tmp_path / "truncated.pth"
    truncated.write_bytes(official_file.read_bytes()[: 1 << 20])
    for path in (garbage, truncated, tmp_path / "absent.pth"):
        with pytest.raises(CheckpointError, match=str(path.name)):
            load_checkpoint(build_model("rtdetrv2-s"), path)


class _NotATensor:
    pass


def test_pickled_objects_are_refused_not_executed(tmp_path, small_state):
    path = tmp_path / "pickled.pth"
    torch.save({"model": small_state, "args": _NotATensor()}, path)
    with pytest.raises(CheckpointError, match="weights_only=True"):
        load_checkpoint(build_model("rtdetrv2-s"), path)


def test_a_dict_without_weights_is_not_a_checkpoint(tmp_path):
    path = tmp_path / "meta.pth"
    torch.save({"epoch": torch.tensor(3), "ema": {"updates": 5}}, path)
    with pytest.raises(CheckpointError, match=r"meta\.pth: a training checkpoint without weights"):
        load_checkpoint(build_model("rtdetrv2-s"), path)
