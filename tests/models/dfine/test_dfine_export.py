"""The ONNX export is valid, named as the official export, clean, and computes what PyTorch computes;
`benchgen export` writes it from an official-format checkpoint."""

from __future__ import annotations

import collections

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from benchgen.models.dfine.export import deploy_model

from tests.models.dfine.conftest import export_weights


def _session(path) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _dims(value) -> list:
    return [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]


def test_graph_has_the_official_interface(nano_onnx):
    proto = onnx.load(str(nano_onnx))
    onnx.checker.check_model(proto, full_check=True)
    initializers = {i.name for i in proto.graph.initializer}
    inputs = [(i.name, i.type.tensor_type.elem_type, _dims(i)) for i in proto.graph.input if i.name not in initializers]
    assert inputs == [("images", onnx.TensorProto.FLOAT, ["N", 3, 640, 640]),
                      ("orig_target_sizes", onnx.TensorProto.INT64, ["N", 2])]
    outputs = [(o.name, o.type.tensor_type.elem_type, _dims(o)) for o in proto.graph.output]
    assert outputs == [("labels", onnx.TensorProto.INT64, ["N", 300]),
                       ("boxes", onnx.TensorProto.FLOAT, ["N", 300, 4]),
                       ("scores", onnx.TensorProto.FLOAT, ["N", 300])]


def test_graph_is_the_deploy_form(nano_onnx, nano_weights):
    nodes = onnx.load(str(nano_onnx)).graph.node
    ops = collections.Counter(n.op_type for n in nodes)
    # every norm folded into its conv, no training-only nodes, no shape arithmetic for the symbolic batch
    banned = ("BatchNormalization", "Dropout", "Identity", "Shape", "Expand", "Where", "Mod", "NonZero", "If", "Loop")
    assert not [op for op in banned if op in ops], dict(ops)
    # the stem's F.pad (as officially) builds its pads with ConstantOfShape, from constants only
    constants = {o for n in nodes if n.op_type == "Constant" for o in n.output}
    assert all(i in constants for n in nodes if n.op_type == "ConstantOfShape" for i in n.input)
    deployed = deploy_model("d-fine-n", weights=nano_weights)
    assert ops["Conv"] == sum(isinstance(m, torch.nn.Conv2d) for m in deployed.modules())
    assert ops["GridSample"] == 2 * 3  # one per level (N has 2) in each of the 3 decoder layers
    # query selection, the eval layer's LQE (top-4 of each edge distribution) and the post-processor
    assert ops["TopK"] == 3


def test_onnx_runtime_matches_pytorch(nano_onnx, nano_weights, match_rows):
    rng = np.random.default_rng(1)
    images = rng.random((2, 3, 640, 640), dtype=np.float32)  # batch 2 exercises the symbolic batch
    sizes = np.array([[640, 480], [1000, 700]], dtype=np.int64)
    labels, boxes, scores = _session(nano_onnx).run(None, {"images": images, "orig_target_sizes": sizes})
    with torch.no_grad():
        ref = deploy_model("d-fine-n", weights=nano_weights)(torch.from_numpy(images), torch.from_numpy(sizes))
    ref_labels, ref_boxes, ref_scores = (t.numpy() for t in ref)
    assert labels.dtype == np.int64 and boxes.dtype == scores.dtype == np.float32

    def rows(lab, box, score, b):  # a label mismatch costs 1e4; boxes relative to the image size
        return np.concatenate([lab[b][:, None] * 1e4, box[b] / sizes[b].max(), score[b][:, None]], -1)

    for b in range(2):
        np.testing.assert_allclose(scores[b], ref_scores[b], atol=1e-5)
        _, worst = match_rows(rows(labels, boxes, scores, b), rows(ref_labels, ref_boxes, ref_scores, b))
        assert worst < 1e-4


@pytest.mark.slow
def test_benchgen_export_writes_the_checkpoint_s_model(tmp_path, match_rows):
    """`benchgen export d-fine-s --weights X.pth` with an official-format (ema.module) checkpoint."""
    from benchgen.cli import main

    weights = export_weights("d-fine-s", tmp_path / "dfine_hgnetv2_s_coco.pth")
    output = tmp_path / "d-fine-s.onnx"
    assert main(["export", "d-fine-s", "--weights", str(weights), "--output", str(output)]) == 0
    images = np.random.default_rng(2).random((1, 3, 640, 640), dtype=np.float32)
    sizes = np.array([[640, 480]], dtype=np.int64)
    labels, boxes, scores = _session(output).run(None, {"images": images, "orig_target_sizes": sizes})
    with torch.no_grad():
        ref = deploy_model("d-fine-s", weights=weights)(torch.from_numpy(images), torch.from_numpy(sizes))
    np.testing.assert_allclose(scores[0], ref[2][0].numpy(), atol=1e-5)
    ours = np.concatenate([labels[0][:, None] * 1e4, boxes[0] / 640], -1)
    theirs = np.concatenate([ref[0][0].numpy()[:, None] * 1e4, ref[1][0].numpy() / 640], -1)
    _, worst = match_rows(ours, theirs)
    assert worst < 1e-4
