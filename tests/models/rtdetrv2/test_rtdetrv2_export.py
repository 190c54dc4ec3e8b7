"""The ONNX export is valid, clean, named as the official export, and computes what PyTorch computes."""

from __future__ import annotations

import collections
import os
import stat

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from benchgen.errors import CheckpointError
from benchgen.models.rtdetrv2 import export_onnx
from benchgen.models.rtdetrv2 import export as export_module
from benchgen.models.rtdetrv2.export import deploy_model


def _session(path) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _dims(value) -> list:
    return [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]


def test_graph_is_valid_with_the_official_interface(small_onnx):
    proto = onnx.load(str(small_onnx))
    onnx.checker.check_model(proto, full_check=True)
    assert max(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")) >= 17
    initializers = {i.name for i in proto.graph.initializer}
    inputs = [(i.name, i.type.tensor_type.elem_type, _dims(i)) for i in proto.graph.input if i.name not in initializers]
    assert inputs == [("images", onnx.TensorProto.FLOAT, ["N", 3, 640, 640]),
                      ("orig_target_sizes", onnx.TensorProto.INT64, ["N", 2])]
    outputs = [(o.name, o.type.tensor_type.elem_type, _dims(o)) for o in proto.graph.output]
    assert outputs == [("labels", onnx.TensorProto.INT64, ["N", 300]),
                       ("boxes", onnx.TensorProto.FLOAT, ["N", 300, 4]),
                       ("scores", onnx.TensorProto.FLOAT, ["N", 300])]


def test_graph_is_clean(small_onnx, export_seed):
    ops = collections.Counter(n.op_type for n in onnx.load(str(small_onnx)).graph.node)
    # every norm folded into its conv, no training-only nodes, no shape arithmetic for the symbolic batch
    banned = ("BatchNormalization", "Dropout", "Identity", "Shape", "Gather", "ConstantOfShape", "Expand", "Where",
              "Mod", "NonZero", "If", "Loop")
    assert not [op for op in banned if op in ops], dict(ops)
    deployed = deploy_model("rtdetrv2-s", seed=export_seed)
    assert ops["Conv"] == sum(isinstance(m, torch.nn.Conv2d) for m in deployed.modules())
    assert ops["GridSample"] == 3 * 3  # one per level in each of the 3 decoder layers
    assert ops["TopK"] == 2  # query selection and the post-processor; no NMS


def test_onnx_runtime_matches_pytorch(small_onnx, export_seed, match_rows):
    rng = np.random.default_rng(1)
    images = rng.random((2, 3, 640, 640), dtype=np.float32)  # batch 2 exercises the symbolic batch
    sizes = np.array([[640, 480], [1000, 700]], dtype=np.int64)
    labels, boxes, scores = _session(small_onnx).run(None, {"images": images, "orig_target_sizes": sizes})
    with torch.no_grad():
        ref = deploy_model("rtdetrv2-s", seed=export_seed)(torch.from_numpy(images), torch.from_numpy(sizes))
    ref_labels, ref_boxes, ref_scores = (t.numpy() for t in ref)
    assert labels.dtype == np.int64 and boxes.dtype == scores.dtype == np.float32

    def rows(lab, box, score, b):  # a label mismatch costs 1e4; boxes relative to the image size
        return np.concatenate([lab[b][:, None] * 1e4, box[b] / sizes[b].max(), score[b][:, None]], -1)

    for b in range(2):
        np.testing.assert_allclose(scores[b], ref_scores[b], atol=1e-5)  # sorted, so comparable in order
        # detections with (near-)equal scores may be listed in another order: compare them as a set
        _, worst = match_rows(rows(labels, boxes, scores, b), rows(ref_labels, ref_boxes, ref_scores, b))
        assert worst < 1e-4


def test_exported_file_gets_ordinary_permissions(small_onnx):
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(small_onnx.stat().st_mode) == 0o666 & ~umask


def test_failed_export_leaves_no_file(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        (tmp_path / "partial").write_text("half")  # whatever the exporter wrote so far
        raise RuntimeError("exporter crashed")

    monkeypatch.setattr(export_module, "_export_to", broken)
    target = tmp_path / "model.onnx"
    with pytest.raises(RuntimeError, match="exporter crashed"):
        export_onnx("rtdetrv2-s", target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["partial"]


def test_bad_weights_fail_before_anything_is_written(tmp_path):
    weights = tmp_path / "weights.pth"
    weights.write_bytes(b"not a checkpoint")
    target = tmp_path / "out" / "model.onnx"
    with pytest.raises(CheckpointError, match="weights.pth"):
        export_onnx("rtdetrv2-s", target, weights=weights)
    assert not target.exists()
