"""The ONNX export is valid, clean, named as agreed, and computes what PyTorch computes."""

from __future__ import annotations

import collections

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from benchgen.errors import CheckpointError
from benchgen.models.damoyolo import build_model, export_onnx, to_deploy
from benchgen.models.damoyolo import export as export_module
from benchgen.models.deterministic_weights import fill_deterministic


def _session(path) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _images(batch: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, 255, (batch, 3, 640, 640)).astype(np.float32)


def test_graph_is_valid_with_the_agreed_interface(tiny_onnx):
    proto = onnx.load(str(tiny_onnx))
    onnx.checker.check_model(proto, full_check=True)
    assert max(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")) >= 17

    def dims(value):
        return [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]

    initializers = {i.name for i in proto.graph.initializer}
    inputs = [i for i in proto.graph.input if i.name not in initializers]
    assert [(i.name, dims(i)) for i in inputs] == [("images", ["batch", 3, 640, 640])]
    assert [(o.name, dims(o)) for o in proto.graph.output] == [
        ("scores", ["batch", 8400, 80]), ("boxes", ["batch", 8400, 4])]


def test_graph_is_clean(tiny_onnx, tiny_deployed):
    ops = collections.Counter(n.op_type for n in onnx.load(str(tiny_onnx)).graph.node)
    # Every BatchNorm is folded into its conv (RepConv branches by to_deploy, the rest by the exporter's
    # eval-mode folding); no training-only or shape-computing nodes survive constant folding.
    banned = ("BatchNormalization", "Dropout", "Identity", "Shape", "Gather", "Mod", "ConstantOfShape", "Expand",
              "Where")
    for op in banned:
        assert op not in ops, f"{op} in exported graph: {dict(ops)}"
    # one Conv node per conv layer of the deploy model: nothing unfused, nothing duplicated
    assert ops["Conv"] == sum(isinstance(m, torch.nn.Conv2d) for m in tiny_deployed.modules())


def test_onnx_runtime_matches_pytorch(tiny_onnx, tiny_deployed):
    images = _images(2, seed=1)  # batch 2 also exercises the dynamic batch axis
    scores, boxes = _session(tiny_onnx).run(["scores", "boxes"], {"images": images})
    with torch.no_grad():
        ref_scores, ref_boxes = tiny_deployed(torch.from_numpy(images))
    np.testing.assert_allclose(scores, ref_scores.numpy(), rtol=0, atol=1e-4)
    np.testing.assert_allclose(boxes, ref_boxes.numpy(), rtol=1e-6, atol=2e-4)


def test_export_with_official_weights_file(tmp_path):
    model = build_model("damo-yolo-t")
    fill_deterministic(model, seed=9)
    weights = tmp_path / "damoyolo_tinynasL20_T.pth"
    torch.save({"model": model.state_dict()}, weights)
    out = tmp_path / "static.onnx"
    export_onnx("damo-yolo-t", out, weights=weights)

    session = _session(out)
    assert [d for d in session.get_inputs()[0].shape] == [1, 3, 640, 640]  # static batch by default
    images = _images(1, seed=2)
    scores, boxes = session.run(["scores", "boxes"], {"images": images})
    with torch.no_grad():
        ref_scores, ref_boxes = to_deploy(model)(torch.from_numpy(images))
    np.testing.assert_allclose(scores, ref_scores.numpy(), rtol=0, atol=1e-4)
    np.testing.assert_allclose(boxes, ref_boxes.numpy(), rtol=1e-6, atol=2e-4)


def test_failed_export_leaves_no_file_and_keeps_the_old_one(tmp_path, monkeypatch):
    out = tmp_path / "model.onnx"
    out.write_bytes(b"previous export")

    def half_written(model, path, dynamic_batch):
        path.write_bytes(b"partial")
        raise RuntimeError("exporter crashed")

    monkeypatch.setattr(export_module, "_export_to", half_written)
    with pytest.raises(RuntimeError, match="exporter crashed"):
        export_onnx("damo-yolo-t", out)
    assert out.read_bytes() == b"previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx"]


def test_bad_weights_fail_before_anything_is_written(tmp_path):
    weights = tmp_path / "broken.pth"
    weights.write_bytes(b"not a checkpoint")
    out = tmp_path / "never.onnx"
    with pytest.raises(CheckpointError, match="broken.pth"):
        export_onnx("damo-yolo-t", out, weights=weights)
    assert not out.exists()
