"""The gfl decoder (NanoDet, PP-PicoDet): oracles that encode ground truth as distribution-head maps.

Each oracle is a hand-built ONNX graph in its exporter's shape and naming (NanoDet's three
`cls_pred_stride_*` / `dis_pred_stride_*` pairs; paddle2onnx's four `save_infer_model/scale_*`
pairs with a stride-64 level), whose class scores are gated by the colour of the image it is fed:
the synthetic image is painted so that only the exporter's channel order gives a positive gate.
So a wrong colour order scores nothing, a wrong resize misplaces every box, and only the right
convention, pairing, strides, cell centres and bin decoding reach AP 1.0. Like the old exporters,
the graphs also list their initializers as inputs.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from benchgen.decoders import get_decoder
from benchgen.decoders.gfl import detect_format, distances, layout
from benchgen.decoders.onnx_info import read_onnx_info
from benchgen.decoders.resolve import detect_decoder
from benchgen.errors import BenchgenError
from benchgen.measure.accuracy.evaluate import evaluate_accuracy
from benchgen.registry import load_registry
from tests.conftest import SHARED
from tests.decoders.builders import class_index, five_line_registry

SIZE = 320
BINS = 8
WARP = (0.5, 0.5, 0.0, 40.0)  # 640 x 480 -> ratio 0.5, centred: 40 rows above (NanoDet's warp)
STRETCH = (0.5, SIZE / 480, 0.0, 0.0)
#: BGR colours painted on the image: blue for NanoDet (its BGR order gives channel 0 > channel 2),
#: red for PicoDet (its RGB order does)
BLUE, RED = (200, 60, 60), (60, 60, 200)


def placed(truth, placement):
    sx, sy, px, py = placement
    return [(a, [a["bbox"][0] * sx + px, a["bbox"][1] * sy + py, (a["bbox"][0] + a["bbox"][2]) * sx + px,
                 (a["bbox"][1] + a["bbox"][3]) * sy + py]) for a in truth]


def encode_bins(value: float) -> np.ndarray:
    """Logits whose softmax puts (1 - frac, frac) on the two bins around `value` (in stride units)."""
    prob = np.full(BINS, 1e-12, dtype=np.float64)
    low = int(math.floor(value))
    frac = value - low
    prob[low] += 1 - frac
    if frac:
        prob[low + 1] += frac
    return np.log(prob).astype(np.float32)


def gfl_maps(truth, placement, strides):
    """Per stride: class map (N, 80) and box map (N, 32) that carry each true box at one cell."""
    cls = {s: np.zeros(((SIZE // s) ** 2, 80), np.float32) for s in strides}
    box = {s: np.tile(encode_bins(0.0), ((SIZE // s) ** 2, 4)) for s in strides}
    for a, (x1, y1, x2, y2) in placed(truth, placement):
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        for s in strides:  # the finest stride whose bins reach every side
            col, row = int(cx // s), int(cy // s)
            px, py = (col + 0.5) * s, (row + 0.5) * s
            sides = np.array([px - x1, py - y1, x2 - px, y2 - py]) / s
            if sides.min() >= 0 and sides.max() < BINS - 1:
                break
        else:
            raise AssertionError("no stride fits the box")
        cell = row * (SIZE // s) + col
        cls[s][cell, class_index(a["category_id"])] = 0.9
        box[s][cell] = np.concatenate([encode_bins(v) for v in sides])
    return cls, box


def gfl_onnx(path, cls, box, names, input_name, order=None):
    """(1, N, C) outputs gated by sigmoid(20 x (mean of channel 0 - mean of channel 2)) of the input."""
    nodes = [helper.make_node("ReduceMean", [input_name], ["means"], axes=[0, 2, 3], keepdims=0),
             helper.make_node("Gather", ["means", "c0"], ["m0"], axis=0),
             helper.make_node("Gather", ["means", "c2"], ["m2"], axis=0),
             helper.make_node("Sub", ["m0", "m2"], ["diff"]),
             helper.make_node("Mul", ["diff", "k"], ["scaled"]),
             helper.make_node("Sigmoid", ["scaled"], ["gate"])]
    inits = [numpy_helper.from_array(np.array(0, np.int64), "c0"), numpy_helper.from_array(np.array(2, np.int64), "c2"),
             numpy_helper.from_array(np.array(20.0, np.float32), "k")]
    outputs = []
    entries = [(names["cls"](i), cls[s], True) for i, s in enumerate(cls)] + \
              [(names["box"](i), box[s], False) for i, s in enumerate(box)]
    for index in (order or range(len(entries))):
        name, value, gated = entries[index]
        const = f"const_{index}"
        inits.append(numpy_helper.from_array(value[None], const))
        nodes.append(helper.make_node("Mul" if gated else "Identity", [const, "gate"] if gated else [const], [name]))
        outputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, [1, *value.shape]))
    inputs = [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, [1, 3, SIZE, SIZE])]
    # the old exporters' habit: every initializer is a graph input too
    inputs += [helper.make_tensor_value_info(i.name, i.data_type, list(i.dims)) for i in inits]
    graph = helper.make_graph(nodes, "gfl-oracle", inputs, outputs, initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)])
    model.ir_version = 6
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


NANODET_NAMES = {"cls": lambda i: f"cls_pred_stride_{8 * 2 ** i}", "box": lambda i: f"dis_pred_stride_{8 * 2 ** i}"}
PADDLE_NAMES = {"cls": lambda i: f"save_infer_model/scale_{i}.tmp_1", "box": lambda i: f"save_infer_model/scale_{i + 4}.tmp_1"}
PLAIN_NAMES = {"cls": lambda i: f"scores_{i}", "box": lambda i: f"boxes_{i}"}


@pytest.fixture
def painted(one_image):
    """The one-image set with the image painted in one colour (returned as a function of the colour)."""
    coco, truth = one_image
    path = coco.images_dir / coco.data["images"][0]["file_name"]

    def paint(colour):
        cv2.imwrite(str(path), np.full((480, 640, 3), colour, np.uint8))
        return coco, truth
    return paint


def score(tmp_path, coco, onnx_path, **variant):
    registry = load_registry(five_line_registry(tmp_path / f"reg-{len(list(tmp_path.glob('reg-*')))}", onnx_path,
                                                SIZE, **variant))
    result = evaluate_accuracy("mine-a", images_dir=coco.images_dir, annotations=coco.annotations, max_images=1,
                               registry=registry, progress=False, use_cache=False)
    return result.metrics["map50_95"], result


@pytest.fixture
def nanodet_oracle(tmp_path, painted):
    coco, truth = painted(BLUE)
    cls, box = gfl_maps(truth, WARP, (8, 16, 32))
    return coco, gfl_onnx(tmp_path / "nanodet.onnx", cls, box, NANODET_NAMES, "input.1")


@pytest.fixture
def picodet_oracle(tmp_path, painted):
    coco, truth = painted(RED)
    cls, box = gfl_maps(truth, STRETCH, (8, 16, 32, 64))
    # outputs interleaved out of level order: the pairing must come from the shapes, not the order
    return coco, gfl_onnx(tmp_path / "picodet.onnx", cls, box, PADDLE_NAMES, "image", order=[7, 0, 5, 2, 1, 6, 3, 4])


def test_nanodet_oracle_scores_ap_1_from_five_lines(tmp_path, nanodet_oracle, capfd):
    coco, path = nanodet_oracle
    ap, result = score(tmp_path, coco, path)
    assert ap == pytest.approx(100.0)
    s = result.settings
    assert (s["decoder"], s["format"], s["strides"], s["bins"]) == ("gfl", "nanodet", "8,16,32", 8)
    assert (s["pre_resize"], s["pre_channels"], s["pre_pad_value"]) == ("warp", "bgr", 0)
    assert s["decoder_chosen_by"] == "auto" and result.details["detections"] == 4
    # the file lists its initializers as inputs; ONNX Runtime's per-initializer warning must not reach the user
    assert "appears in graph inputs" not in capfd.readouterr().err


@pytest.mark.parametrize("wrong", [{"channels": "rgb"}, {"resize": "stretch"}])
def test_nanodet_oracle_with_a_wrong_convention_scores_low(tmp_path, nanodet_oracle, wrong):
    coco, path = nanodet_oracle
    ap, _ = score(tmp_path, coco, path, preprocess=wrong)
    assert ap < 30


def test_picodet_oracle_scores_ap_1_with_four_strides_and_paddle_names(tmp_path, picodet_oracle):
    coco, path = picodet_oracle
    ap, result = score(tmp_path, coco, path)
    assert ap == pytest.approx(100.0)
    s = result.settings
    assert (s["format"], s["strides"], s["pre_resize"], s["pre_channels"], s["pre_interpolation"]) == \
        ("picodet", "8,16,32,64", "stretch", "rgb", "cubic")


@pytest.mark.parametrize("wrong", [{"preprocess": {"channels": "bgr"}}, {"preprocess": {"resize": "letterbox"}},
                                   {"decoder_options": {"cell_offset": 0.0}}])
def test_picodet_oracle_with_a_wrong_setting_scores_clearly_lower(tmp_path, picodet_oracle, wrong):
    coco, path = picodet_oracle
    ap, _ = score(tmp_path, coco, path, **wrong)
    assert ap < 60


def test_a_stride_set_that_contradicts_the_shapes_is_refused_naming_the_key(tmp_path, nanodet_oracle):
    coco, path = nanodet_oracle
    for strides, says in (("8,16,32,64", "gives 4 strides but the file has 3 levels"),
                          ("16,32,64", "stride 16 at 320 px gives 400 cells, the level has 1600")):
        with pytest.raises(BenchgenError, match="decoder_options.strides") as error:
            score(tmp_path, coco, path, decoder_options={"strides": strides})
        assert says in str(error.value)
    ap, _ = score(tmp_path, coco, path, decoder_options={"strides": "8,16,32"})
    assert ap == pytest.approx(100.0)


def test_an_export_whose_names_do_not_say_its_format_needs_the_key(tmp_path, painted):
    coco, truth = painted(RED)
    cls, box = gfl_maps(truth, STRETCH, (8, 16, 32))
    path = gfl_onnx(tmp_path / "plain.onnx", cls, box, PLAIN_NAMES, "images")
    assert detect_decoder(read_onnx_info(path), SIZE) == "gfl"
    with pytest.raises(BenchgenError, match="set decoder_options.format to nanodet or picodet"):
        score(tmp_path, coco, path)
    ap, result = score(tmp_path, coco, path, decoder_options={"format": "picodet"})
    assert ap == pytest.approx(100.0) and result.settings["format"] == "picodet"
    wrong, _ = score(tmp_path, coco, path, decoder_options={"format": "nanodet"})  # BGR warp: nothing found
    assert wrong < 30


def test_layout_pairs_by_shape_and_names_what_it_cannot_decide():
    names = ["a", "b", "c", "d"]
    plan = layout([(1, 1600, 32), (1, 400, 80), (1, 1600, 80), (1, 400, 32)], names, 320, 80)
    assert [(lv.stride, lv.cls_output, lv.box_output) for lv in plan.levels] == [(8, 2, 0), (16, 1, 3)]
    assert plan.bins == 8
    # 32 classes next to 4 x 8 bins: the widths cannot say which map is which
    with pytest.raises(ValueError, match="decoder_options.num_classes"):
        layout([(1, 1600, 32), (1, 1600, 32), (1, 400, 32), (1, 400, 32)], names, 320, 32)
    with pytest.raises(ValueError, match="decoder_options.num_classes"):
        layout([(1, 1600, 20), (1, 1600, 32), (1, 400, 20), (1, 400, 32)], names, 320, 80)
    with pytest.raises(ValueError, match="decoder_options.strides"):
        layout([(1, 1500, 80), (1, 1500, 32), (1, 400, 80), (1, 400, 32)], names, 320, 80)
    with pytest.raises(ValueError, match="exactly one of each"):
        layout([(1, 1600, 80), (1, 1600, 32), (1, 1600, 32), (1, 400, 80), (1, 400, 32)], names + ["e"], 320, 80)
    # 416 px: ceil(416 / 64) = 7 cells per side, as PaddleDetection's _generate_anchors counts them
    assert [lv.stride for lv in layout([(1, 2704, 80), (1, 2704, 32), (1, 49, 80), (1, 49, 32)], names, 416,
                                       80).levels] == [8, 64]


def test_distances_are_the_expectation_of_the_softmax_over_bins():
    logits = np.concatenate([encode_bins(v) for v in (0.0, 2.25, 6.5, 3.0)])[None]
    assert distances(logits, BINS)[0] == pytest.approx([0.0, 2.25, 6.5, 3.0], abs=1e-5)
    uniform = np.zeros((1, 4 * BINS), np.float32)
    assert distances(uniform, BINS)[0] == pytest.approx([3.5] * 4)


def test_format_from_exporter_names():
    assert detect_format(["save_infer_model/scale_0.tmp_1"]) == "picodet"
    assert detect_format(["cls_pred_stride_8", "dis_pred_stride_8"]) == "nanodet"
    assert detect_format(["scores_0", "boxes_0"]) is None
    assert get_decoder("gfl").options["format"] == "auto"


@pytest.mark.parametrize("path, fmt, levels", [("nanodet-m/nanodet_m_320.onnx", "nanodet", 3),
                                               ("picodet-s/picodet_s_320_coco.onnx", "picodet", 4)])
def test_the_shared_exports_are_recognised(path, fmt, levels):
    if not (SHARED / "models" / path).exists():
        pytest.skip(f"../shared/models/{path} is not on this machine")
    info = read_onnx_info(SHARED / "models" / path)
    assert detect_decoder(info, SIZE) == "gfl"
    assert detect_format([t.name for t in info.outputs]) == fmt
    assert len(layout([t.shape for t in info.outputs], [t.name for t in info.outputs], SIZE, 80).levels) == levels


def test_a_pipeline_built_without_a_file_pairs_the_runtime_outputs(one_image):
    """Dynamic or unknown output shapes: the layout comes from the arrays the session returns."""
    from benchgen.decoders import make_pipeline
    from benchgen.pipeline import ImageMeta

    pipeline = make_pipeline("gfl", SIZE, options={"format": "picodet"})
    _, truth = one_image
    cls, box = gfl_maps(truth, STRETCH, (8, 16, 32))
    outputs = [box[32][None], cls[8][None], cls[32][None], box[8][None], box[16][None], cls[16][None]]
    found = pipeline.postprocess(outputs, ImageMeta(640, 480, 0.5, SIZE / 480))
    assert len(found.scores) == 4
    # found at run time, so one line (BenchgenError) rather than a traceback
    with pytest.raises(BenchgenError,
                       match=r"cannot pair class and box maps by shape: 1 outputs have \d+ rows \(output \d\)"):
        pipeline.postprocess(outputs[1:], ImageMeta(640, 480, 0.5, SIZE / 480))
