"""The provider-built families of the default registry: which official config and export builds each size."""

import pytest

from benchgen.refresh.plan import select
from benchgen.registry import load_registry

#: family -> (variant ids in size order, Ultralytics config of each, model class, end2end export)
FAMILIES = {
    "yolo26": ([f"yolo26-{s}" for s in "nsmlx"], [f"yolo26{s}.yaml" for s in "nsmlx"], "YOLO", True),
    "yolo11": ([f"yolo11-{s}" for s in "nsmlx"], [f"yolo11{s}.yaml" for s in "nsmlx"], "YOLO", False),
    "yolo12": ([f"yolo12-{s}" for s in "nsmlx"], [f"yolo12{s}.yaml" for s in "nsmlx"], "YOLO", False),
    "yolov10": ([f"yolov10-{s}" for s in "nsmblx"], [f"yolov10{s}.yaml" for s in "nsmblx"], "YOLO", True),
    "yolov9": ([f"yolov9-{s}" for s in "tsmce"], [f"yolov9{s}.yaml" for s in "tsmce"], "YOLO", False),
    "yolov8": ([f"yolov8-{s}" for s in "nsmlx"], [f"yolov8{s}.yaml" for s in "nsmlx"], "YOLO", False),
    "yolov5u": ([f"yolov5u-{s}" for s in "nsmlx"], [f"yolov5{s}u.yaml" for s in "nsmlx"], "YOLO", False),
    "rtdetr": (["rtdetr-l", "rtdetr-x"], ["rtdetr-l.yaml", "rtdetr-x.yaml"], "RTDETR", False),
}


@pytest.fixture(scope="module")
def registry():
    return load_registry()


def test_every_size_is_built_by_the_ultralytics_provider_from_its_official_yaml(registry):
    for family_id, (ids, configs, model, end2end) in FAMILIES.items():
        family = registry.family(family_id)
        built = [(v.id, family.builds(v)) for v in family.variants if family.builds(v) is not None]
        assert [vid for vid, _ in built] == ids, family_id
        assert [b.config for _, b in built] == configs, family_id
        assert all(b.provider == "ultralytics" for _, b in built)
        assert all(b.options.get("model", "YOLO") == model for _, b in built), family_id
        # the official NMS-free head of YOLO26 and YOLOv10 needs end2end=True; the others export the raw head
        assert all(bool(b.export.get("end2end")) is end2end for _, b in built), family_id
        assert all(v.reported.get("params_m") and v.reported.get("map50_95") for v in family.variants
                   if v.id in ids), family_id


def test_a_plain_refresh_plans_the_smallest_size_of_each_provider_family(registry):
    chosen = {v.id for _f, v in select(registry, None)}
    smallest = {ids[0] for ids, *_ in FAMILIES.values()}
    assert smallest <= chosen
    assert not ({vid for ids, *_ in FAMILIES.values() for vid in ids[1:]} & chosen)
    everything = {v.id for _f, v in select(registry, None, all_variants=True)}
    assert {vid for ids, *_ in FAMILIES.values() for vid in ids} <= everything
    assert {"damo-yolo-s", "rtdetrv2-l", "yolox-nano"} <= chosen  # benchgen's own and bring-your-own: all of them


def test_a_plain_refresh_plans_the_seed_pair_whole_and_the_smallest_of_benchgens_other_implementations(registry):
    chosen = [v.id for _f, v in select(registry, None)]
    assert {v.id for v in registry.family("damo-yolo").variants} <= set(chosen)
    assert {v.id for v in registry.family("rtdetrv2").variants} <= set(chosen)
    assert "d-fine-n" in chosen and "deim-d-fine-n" in chosen
    assert not {"d-fine-s", "d-fine-x", "deim-d-fine-s", "deim-d-fine-x"} & set(chosen)
    assert {"nanodet-m-320", "picodet-s-320", "yolox-nano"} <= set(chosen)  # ONNX files: every one
