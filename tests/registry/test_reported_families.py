"""The reported-only DETR-era families of the default registry: listed with published figures, never built.

RT-DETR is here for its figures only: its L and X are provider-built (tests/registry/test_provider_families.py),
its ResNet variants reported only."""

import pytest

from benchgen.registry import load_registry

RTDETR = ["rtdetr-r18", "rtdetr-r34", "rtdetr-r50-m", "rtdetr-r50", "rtdetr-r101", "rtdetr-l", "rtdetr-x"]
FAMILIES = {
    "rf-detr": ["rf-detr-n", "rf-detr-s", "rf-detr-m", "rf-detr-l", "rf-detr-xl", "rf-detr-2xl"],
    "lw-detr": ["lw-detr-t", "lw-detr-s", "lw-detr-m", "lw-detr-l", "lw-detr-x"],
    "efficientdet": [f"efficientdet-d{i}" for i in range(8)],
    "pp-yoloe-plus": ["pp-yoloe-plus-t", "pp-yoloe-plus-s", "pp-yoloe-plus-m", "pp-yoloe-plus-l", "pp-yoloe-plus-x"],
    "rtmdet": ["rtmdet-t", "rtmdet-s", "rtmdet-m", "rtmdet-l", "rtmdet-x"],
}

# measured since benchgen.models.dfine builds them; their reported figures and sources are kept
MEASURED_DETRS = {
    "d-fine": ["d-fine-n", "d-fine-s", "d-fine-m", "d-fine-l", "d-fine-x"],
    "deim": ["deim-d-fine-n", "deim-d-fine-s", "deim-d-fine-m", "deim-d-fine-l", "deim-d-fine-x"],
}


@pytest.fixture(scope="module")
def registry():
    return load_registry()


def test_the_families_are_reported_only_with_their_variants(registry):
    for family_id, variant_ids in FAMILIES.items():
        family = registry.family(family_id)
        assert family.reported_only and family.implementation is None, family_id
        assert [v.id for v in family.variants] == variant_ids
        assert not any(v.onnx for v in family.variants)
        assert all(v.reported for v in family.variants)
        measurable = {v.id for _f, v in registry.measurable()}
        assert measurable.isdisjoint(variant_ids)


def test_rtdetr_resnet_variants_are_reported_only_and_l_x_are_provider_built(registry):
    family = registry.family("rtdetr")
    assert [v.id for v in family.variants] == RTDETR and not family.reported_only
    assert all(v.reported for v in family.variants)
    measurable = {v.id for _f, v in registry.measurable()}
    assert [v for v in RTDETR if v in measurable] == ["rtdetr-l", "rtdetr-x"]
    assert all(family.builds(v) is None and v.reported_only for v in family.variants[:5])


def test_d_fine_and_deim_are_measured_by_the_dfine_implementation_with_their_figures(registry):
    from benchgen.models import implementation

    measurable = {v.id for _f, v in registry.measurable()}
    for family_id, variant_ids in MEASURED_DETRS.items():
        family = registry.family(family_id)
        assert not family.reported_only and family.implementation == "dfine", family_id
        assert [v.id for v in family.variants] == variant_ids
        assert set(variant_ids) <= measurable
        assert set(variant_ids) <= set(implementation("dfine").VARIANTS)
        assert all({"map50_95", "params_m", "flops_g"} <= set(v.reported) for v in family.variants)


def _models(registry, family_id):
    family = registry.family(family_id)
    return [*family.variants, *family.other_models]


def test_official_values_come_first_then_copies_then_independent_measurements(registry):
    rank = {"official": 0, "secondary": 1, "independent": 2}
    for family_id in [*FAMILIES, *MEASURED_DETRS, "rtdetr", "rtdetrv2", "yolox"]:
        for model in _models(registry, family_id):
            for metric, values in model.reported.items():
                kinds = [rank[v.source_kind] for v in values]
                assert kinds == sorted(kinds), (model.id, metric)


def test_every_secondary_or_independent_value_says_what_it_is(registry):
    for family_id in [*FAMILIES, *MEASURED_DETRS, "rtdetr"]:
        for model in _models(registry, family_id):
            for metric, values in model.reported.items():
                for value in values:
                    if value.measured_by:
                        assert value.source_name == "Roboflow model leaderboard" and value.date, (model.id, metric)
                        assert "github.com/roboflow/model-leaderboard" in str(value.source)
                    if not value.official:
                        assert value.note, (model.id, metric, value.source_name)


def test_efficientdet_keeps_the_official_input_sizes_and_no_cpu_figures(registry):
    sizes = {v.id: v.input_size for v in registry.family("efficientdet").variants}
    assert sizes == {"efficientdet-d0": 512, "efficientdet-d1": 640, "efficientdet-d2": 768, "efficientdet-d3": 896,
                     "efficientdet-d4": 1024, "efficientdet-d5": 1280, "efficientdet-d6": 1280, "efficientdet-d7": 1536}
    # the Ultralytics "CPU ONNX" column is the automl README's V100 GPU latency: not a CPU figure
    assert not any("latency_cpu_ms" in v.reported for v in registry.family("efficientdet").variants)


def test_latency_on_other_gpus_keeps_its_hardware(registry):
    pp = {v.id: v.reported["latency_trt_ms"][0] for v in registry.family("pp-yoloe-plus").variants}
    assert pp["pp-yoloe-plus-t"].hardware == "NVIDIA T4"
    assert {pp[k].hardware for k in pp if k != "pp-yoloe-plus-t"} == {"NVIDIA V100"}
    assert all(v.official and "1000 / FPS" in v.note for v in pp.values())


def test_deim_nano_has_no_copy_of_the_small_models_leaderboard_row(registry):
    _, nano = registry.variant("deim-d-fine-n")
    assert not any(v.measured_by for v in nano.reported["map50_95"])
    _, small = registry.variant("deim-d-fine-s")
    assert [v.value for v in small.reported["map50_95"] if v.measured_by] == [49.0]


def test_rf_detr_leaderboard_values_belong_to_the_2025_models_and_say_they_are_not_independent(registry):
    family = registry.family("rf-detr")
    assert not any(v.measured_by for variant in family.variants for v in variant.reported.get("map50_95", []))
    others = {o.id: o for o in family.other_models}
    assert set(others) == {"rf-detr-b", "rf-detr-l-2025"}
    for other in others.values():
        assert other.input_size == 560 and other.architecture_of is None
        measured = [v for v in other.reported["map50_95"] if v.measured_by]
        assert len(measured) == 1 and "not independent" in measured[0].note


def test_rtdetrv2_gains_one_independent_map_per_variant(registry):
    expected = {"rtdetrv2-s": 48.1, "rtdetrv2-r34vd": 49.9, "rtdetrv2-m": 51.9, "rtdetrv2-l": 53.4, "rtdetrv2-x": 54.3}
    for variant in registry.family("rtdetrv2").variants:
        measured = [v.value for v in variant.reported["map50_95"] if v.measured_by == "Roboflow"]
        assert measured == [expected[variant.id]], variant.id


def test_yolox_larger_sizes_are_other_architectures_not_measured(registry):
    family = registry.family("yolox")
    others = {o.id: o for o in family.other_models}
    assert list(others) == ["yolox-tiny", "yolox-s", "yolox-m", "yolox-l", "yolox-x"]
    assert all(o.architecture_of is None and "Nano" in o.relation for o in others.values())
    assert others["yolox-tiny"].input_size == 416 and others["yolox-x"].input_size == 640
    assert [v.id for v in family.variants] == ["yolox-nano"]
