"""Official checkpoints load strictly; anything else fails with a message naming the file and keys."""

from __future__ import annotations

import collections

import pytest
import torch

from benchgen.errors import CheckpointError
from benchgen.models.damoyolo import build_model, load_checkpoint, to_deploy
from benchgen.models.deterministic_weights import fill_deterministic


@pytest.fixture(scope="module")
def tiny_state():
    model = build_model("damo-yolo-t")
    fill_deterministic(model, seed=5)
    return model.state_dict()


def _assert_same_state(model: torch.nn.Module, state) -> None:
    loaded = model.state_dict()
    assert loaded.keys() == state.keys()
    for key, value in state.items():
        assert torch.equal(loaded[key], value), key


def test_official_checkpoint_format_loads(tmp_path, tiny_state):
    # The official trainer saves a dict with the model state dict under 'model' next to other entries.
    path = tmp_path / "damoyolo_tinynasL20_T.pth"
    torch.save({"model": tiny_state, "optimizer": {"state": {}, "param_groups": []}, "epoch": 300}, path)
    model = build_model("damo-yolo-t")
    load_checkpoint(model, path)
    _assert_same_state(model, tiny_state)


def test_bare_state_dict_loads(tmp_path, tiny_state):
    path = tmp_path / "bare.pth"
    torch.save(collections.OrderedDict(tiny_state), path)
    model = build_model("damo-yolo-t")
    load_checkpoint(model, path)
    _assert_same_state(model, tiny_state)


def test_checkpoint_of_another_variant_names_file_and_keys(tmp_path, tiny_state):
    path = tmp_path / "tiny.pth"
    torch.save({"model": tiny_state}, path)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(build_model("damo-yolo-s"), path)
    message = str(info.value)
    assert str(path) in message
    assert "shape mismatches" in message
    assert "backbone.block_list.0.conv.conv.weight (checkpoint (24, 12, 3, 3), model (32, 12, 3, 3))" in message


def test_missing_and_unexpected_keys_are_named(tmp_path, tiny_state):
    state = dict(tiny_state)
    del state["head.scales.2.scale"]
    state["head.extra.weight"] = torch.zeros(1)
    path = tmp_path / "edited.pth"
    torch.save({"model": state}, path)
    model = build_model("damo-yolo-t")
    expected = r"missing keys: head\.scales\.2\.scale.*unexpected keys: head\.extra\.weight"
    with pytest.raises(CheckpointError, match=expected):
        load_checkpoint(model, path)


def test_deploy_form_checkpoint_is_rejected(tmp_path):
    path = tmp_path / "deployed.pth"
    torch.save(to_deploy(build_model("damo-yolo-t")).state_dict(), path)
    with pytest.raises(CheckpointError, match=r"rbr_reparam"):
        load_checkpoint(build_model("damo-yolo-t"), path)


def test_corrupt_file_names_the_file(tmp_path, tiny_state):
    path = tmp_path / "truncated.pth"
    torch.save({"model": tiny_state}, path)
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match="truncated.pth"):
        load_checkpoint(build_model("damo-yolo-t"), path)


class Payload:
    """Stands for any pickled object: unpickling one can run code."""


def test_pickled_code_is_refused(tmp_path):
    # weights_only=True must refuse arbitrary objects rather than execute their unpickling.
    path = tmp_path / "code.pth"
    torch.save({"model": {"x": torch.zeros(1)}, "hook": Payload()}, path)
    with pytest.raises(CheckpointError, match=r"code.pth: holds pickled Python objects.*Payload"):
        load_checkpoint(build_model("damo-yolo-t"), path)


def test_missing_file_names_the_file(tmp_path):
    with pytest.raises(CheckpointError, match="nowhere.pth.*not found"):
        load_checkpoint(build_model("damo-yolo-t"), tmp_path / "nowhere.pth")


def test_non_checkpoint_content_is_rejected(tmp_path):
    path = tmp_path / "list.pth"
    torch.save([torch.zeros(1)], path)
    with pytest.raises(CheckpointError, match="list.pth.*not a DAMO-YOLO checkpoint"):
        load_checkpoint(build_model("damo-yolo-t"), path)
