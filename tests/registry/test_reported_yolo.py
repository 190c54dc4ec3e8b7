"""The YOLO families' published figures: which one the pages prefer where sources disagree.

YOLOv7 and YOLOv6-3.0 are reported only; the others are provider-built (tests/registry/test_provider_families.py)
and keep their reported figures beside the measured ones."""

from benchgen.registry import load_registry
from benchgen.registry.discrepancies import registry_discrepancies
from benchgen.results.merge import preferred_reported

YOLO_FAMILIES = ["yolo26", "yolo11", "yolo12", "yolov10", "yolov9", "yolov8", "yolov7", "yolov6-3", "yolov5u"]


def test_yolov7_and_yolov6_are_reported_only_and_never_planned():
    """Ultralytics' yolov6*.yaml is not the official YOLOv6-3.0 (yolov6s: 16.45 M params, published 18.5 M)."""
    registry = load_registry()
    measurable = {f.id for f, _v in registry.measurable()}
    for family_id in ["yolov7", "yolov6-3"]:
        family = registry.family(family_id)
        assert family.reported_only and family.implementation is None, family_id
        assert family_id not in measurable
        assert all(v.onnx is None and v.reported for v in family.variants), family_id


def test_official_figures_come_first_and_every_accuracy_has_one():
    """Within each metric no copied or independent value precedes an official one, and every mAP list starts
    with the authors' figure (only YOLOv7's params/FLOPs and YOLOv9's latency have no official value)."""
    for family_id in YOLO_FAMILIES:
        family = load_registry().family(family_id)
        for model in [*family.variants, *family.other_models]:
            assert model.reported["map50_95"][0].official, model.id
            for metric, values in model.reported.items():
                flags = [v.official for v in values]
                assert flags == sorted(flags, reverse=True), (model.id, metric)


def test_yolov10_official_params_are_preferred_over_the_shifted_ultralytics_row():
    registry = load_registry()
    expected = {"yolov10-b": (19.1, 24.4), "yolov10-l": (24.4, 29.5), "yolov10-x": (29.5, 56.9)}
    for variant_id, (official, copied) in expected.items():
        _, variant = registry.variant(variant_id)
        values = variant.reported["params_m"]
        assert [v.value for v in values] == [official, copied]
        assert preferred_reported(values).value == official and preferred_reported(values).official
    found = {(v.id, d.metric) for _f, v, d in registry_discrepancies(registry)}
    assert {(v, "params_m") for v in expected} <= found
    assert ("yolov10-m", "params_m") not in found  # both sources agree on 15.4


def test_independent_measurements_are_their_own_kind_and_never_preferred():
    registry = load_registry()
    for family_id in ["yolov8", "yolo11", "yolov10", "yolo12"]:
        for variant in registry.family(family_id).variants:
            values = variant.reported["map50_95"]
            roboflow = [v for v in values if v.measured_by == "Roboflow"]
            assert len(roboflow) == 1 and roboflow[0].source_kind == "independent", variant.id
            assert preferred_reported(values).official, variant.id


def test_yolov5u_keeps_the_original_yolov5_map_apart():
    """The comparison table's YOLOv5 mAP (28.0 for n) is the anchor-based model's, not YOLOv5u's."""
    family = load_registry().family("yolov5u")
    nano = next(v for v in family.variants if v.id == "yolov5u-n")
    assert [v.value for v in nano.reported["map50_95"]] == [34.3]
    assert not family.other_models  # the original models are their own family now
    _, original = load_registry().variant("yolov5-n")
    assert original.reported["map50_95"][0].value == 28.0


def test_latency_on_other_hardware_says_so():
    registry = load_registry()
    _, yolov7 = registry.variant("yolov7-l")
    official = yolov7.reported["latency_trt_ms"][0]
    assert official.official and official.hardware == "NVIDIA V100" and "1000 / FPS" in official.note
    _, yolov6 = registry.variant("yolov6-3-n")
    official = yolov6.reported["latency_trt_ms"][0]
    assert official.value == 1.28 and official.includes_postprocess is False and "779 FPS" in official.note
