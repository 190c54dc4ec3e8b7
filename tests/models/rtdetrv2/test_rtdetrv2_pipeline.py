"""Pre- and post-processing as the official evaluation does them."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
import torch
import torch.nn.functional as F

from benchgen.models.rtdetrv2 import VARIANTS, make_pipeline
from benchgen.pipeline import COCO_CATEGORY_IDS, ImageMeta


def test_resizes_to_640_without_keeping_the_aspect_ratio_and_feeds_the_original_size():
    feeds, meta = make_pipeline("rtdetrv2-s").preprocess(np.zeros((300, 500, 3), np.uint8))
    assert sorted(feeds) == ["images", "orig_target_sizes"]
    assert feeds["images"].shape == (1, 3, 640, 640) and feeds["images"].dtype == np.float32
    assert feeds["orig_target_sizes"].tolist() == [[500, 300]]  # [w, h]
    assert feeds["orig_target_sizes"].dtype == np.int64
    assert (meta.orig_width, meta.orig_height) == (500, 300)


def test_channels_become_rgb_scaled_to_0_1():
    image = np.zeros((64, 48, 3), np.uint8)
    image[..., 0] = 255  # blue, as cv2 decodes it
    image[..., 2] = 51  # red = 0.2
    images = make_pipeline("rtdetrv2-s").preprocess(image)[0]["images"][0]
    np.testing.assert_allclose(images[0], 0.2, atol=1e-7)  # R
    np.testing.assert_allclose(images[1], 0.0)  # G
    np.testing.assert_allclose(images[2], 1.0)  # B


def test_resize_is_antialiased_bilinear_like_pil():
    """torchvision's Resize on a PIL image is PIL's bilinear filter, which averages over the whole
    footprint when shrinking; torch's antialiased bilinear is built to match it, while plain
    (cv2-style) bilinear interpolation of a noise image would be far off."""
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (960, 1280, 3), dtype=np.uint8)
    ours = make_pipeline("rtdetrv2-s").preprocess(image)[0]["images"]
    rgb = torch.from_numpy(image[:, :, ::-1].copy()).permute(2, 0, 1)[None].float() / 255
    reference = F.interpolate(rgb, size=(640, 640), mode="bilinear", antialias=True, align_corners=False).numpy()
    plain = F.interpolate(rgb, size=(640, 640), mode="bilinear", antialias=False, align_corners=False).numpy()
    assert np.abs(ours - reference).max() < 2.5 / 255
    assert np.abs(ours - plain).mean() > 10 * np.abs(ours - reference).mean()


def test_postprocess_maps_class_indices_to_coco_ids_and_keeps_everything():
    labels = np.array([[0, 79, 11, 11]], dtype=np.int64)
    boxes = np.array([[[1, 2, 3, 4], [-5, 6, 700, 8], [9, 10, 11, 12], [0, 0, 1, 1]]], dtype=np.float32)
    scores = np.array([[0.9, 0.5, 0.001, 1e-6]], dtype=np.float32)  # no threshold: all kept
    dets = make_pipeline("rtdetrv2-s").postprocess([labels, boxes, scores], ImageMeta(640, 480))
    assert dets.category_ids.tolist() == [1, 90, 13, 13]
    np.testing.assert_array_equal(dets.boxes, boxes[0])  # already in original pixels, not clipped
    np.testing.assert_array_equal(dets.scores, scores[0])


def test_postprocess_rejects_class_indices_outside_coco():
    with pytest.raises(ValueError, match="class index"):
        make_pipeline("rtdetrv2-s").postprocess(
            [np.array([[80]]), np.zeros((1, 1, 4), np.float32), np.ones((1, 1), np.float32)], ImageMeta(1, 1))


def test_every_variant_has_the_same_official_pipeline():
    assert {make_pipeline(v).input_size for v in VARIANTS} == {(640, 640)}


def test_end_to_end_with_the_exported_model(small_onnx):
    pipeline = make_pipeline("rtdetrv2-s")
    image = np.random.default_rng(3).integers(0, 256, (300, 500, 3), dtype=np.uint8)
    feeds, meta = pipeline.preprocess(image)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    session = ort.InferenceSession(str(small_onnx), options, providers=["CPUExecutionProvider"])
    outputs = session.run(None, feeds)
    dets = pipeline.postprocess(outputs, meta)
    assert len(dets) == 300
    assert set(dets.category_ids.tolist()) <= set(COCO_CATEGORY_IDS)
    # the graph scales its normalised boxes by the fed [w, h]: twice the size, twice the coordinates
    doubled = session.run(None, {**feeds, "orig_target_sizes": feeds["orig_target_sizes"] * 2})
    np.testing.assert_allclose(doubled[1], outputs[1] * 2, rtol=1e-6, atol=1e-4)
    np.testing.assert_array_equal(doubled[0], outputs[0])
