import pytest
import yaml

from benchgen.errors import RegistryError
from benchgen.registry import load_family, load_registry
from tests.conftest import family_doc, two_family_docs, variant_doc, write_registry


def test_default_registry_has_the_two_families_and_their_variants():
    registry = load_registry()
    ids = {f.id: [v.id for v in f.variants] for f in registry.families}
    assert ids["damo-yolo"] == ["damo-yolo-t", "damo-yolo-s", "damo-yolo-m", "damo-yolo-l"]
    assert ids["rtdetrv2"] == ["rtdetrv2-s", "rtdetrv2-r34vd", "rtdetrv2-m", "rtdetrv2-l", "rtdetrv2-x"]
    _, variant = registry.variant("rtdetrv2-l")
    assert variant.config == "rtdetrv2_r50vd_6x_coco"
    assert variant.reported["map50_95"][0].value == 53.4
    assert str(registry.family("rtdetrv2").arxiv) == "https://arxiv.org/abs/2407.17140"


def test_every_reported_value_has_a_source():
    for _family, variant in load_registry().variants():
        for metric, values in variant.reported.items():
            for value in values:
                assert str(value.source).startswith("https://"), (variant.id, metric)
                assert value.source_name


def _error(tmp_path, doc) -> str:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(doc) if not isinstance(doc, str) else doc)
    with pytest.raises(RegistryError) as info:
        load_family(path)
    return str(info.value)


def test_missing_key_names_file_and_key(tmp_path):
    doc = family_doc("alpha", "Alpha", [variant_doc("alpha-s", "s", 40, 2, 10)])
    del doc["name"]
    message = _error(tmp_path, doc)
    assert "bad.yaml: name: required key missing; add it" in message


def test_nested_key_path_is_named(tmp_path):
    doc = family_doc("alpha", "Alpha", [variant_doc("alpha-s", "s", 40, 2, 10)])
    doc["variants"][0]["reported"]["map50_95"][0]["source"] = "not a url"
    message = _error(tmp_path, doc)
    assert "variants[0].reported.map50_95[0].source" in message


def test_unknown_key_and_bad_scale_are_errors(tmp_path):
    doc = family_doc("alpha", "Alpha", [variant_doc("alpha-s", "huge", 40, 2, 10)])
    doc["licence_typo"] = "MIT"
    message = _error(tmp_path, doc)
    assert "licence_typo" in message and "variants[0].scale" in message


def test_invalid_yaml_names_file(tmp_path):
    message = _error(tmp_path, "id: [unclosed\n")
    assert "bad.yaml" in message and "not valid YAML" in message


def test_bring_your_own_onnx_needs_its_files(tmp_path):
    doc = family_doc("alpha", "Alpha", [variant_doc("alpha-s", "s", 40, 2, 10)], implementation=None)
    message = _error(tmp_path, doc)
    assert "'onnx' file" in message and "alpha-s" in message


def test_decoding_settings_on_an_implementation_family_are_refused(tmp_path):
    variant = variant_doc("alpha-s", "s", 40, 2, 10)
    variant["preprocess"] = {"pad": "center"}
    doc = family_doc("alpha", "Alpha", [variant], decoder="ultralytics")
    message = _error(tmp_path, doc)
    assert "family.decoder, alpha-s.preprocess" in message and "implementation 'damo-yolo'" in message


def test_minimal_family_is_five_lines_and_publication_facts_are_optional(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("id: mine\nname: Mine\nvariants:\n  - {id: mine-a, name: Mine A, input_size: 640, "
                    "onnx: mine.onnx}\n")
    family = load_family(path)
    assert family.authors == [] and family.github is None and family.date is None and family.innovations == []
    assert family.decoding(family.variants[0]) == {"decoder": "auto", "preprocess": {}, "class_map": None,
                                                   "options": {}}


def test_variant_decoding_overrides_the_family(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("id: mine\nname: Mine\ndecoder: end2end\npreprocess: {pad: top-left, pad_value: 0}\n"
                    "decoder_options: {score_threshold: 0.1}\nvariants:\n"
                    "  - {id: mine-a, name: A, input_size: 640, onnx: a.onnx, preprocess: {pad_value: 7},\n"
                    "     decoder_options: {clip: false}, class_map: coco-ids}\n")
    family = load_family(path)
    assert family.decoding(family.variants[0]) == {
        "decoder": "end2end", "preprocess": {"pad": "top-left", "pad_value": 7}, "class_map": "coco-ids",
        "options": {"score_threshold": 0.1, "clip": False}}


def test_duplicate_variant_across_files(tmp_path):
    docs = two_family_docs()
    docs[1]["variants"][0]["id"] = "alpha-s"
    write_registry(tmp_path / "reg", docs)
    with pytest.raises(RegistryError, match="alpha-s.*already defined"):
        load_registry(tmp_path / "reg")


def test_empty_directory(tmp_path):
    with pytest.raises(RegistryError, match="no registry files"):
        load_registry(tmp_path)


def _other(oid: str, **extra) -> dict:
    doc = {"id": oid, "name": oid.upper(), "input_size": 416, "relation": "A smaller network.",
           "reported": {"map50_95": [{"value": 30.0, "source": "https://example.org/readme",
                                      "source_name": "README", "official": True}]}}
    doc.update(extra)
    return doc


def test_other_models_must_point_at_a_variant_of_their_family(tmp_path):
    doc = family_doc("alpha", "Alpha", [variant_doc("alpha-s", "s", 40, 2, 10)],
                     other_models=[_other("alpha-s-distilled", architecture_of="alpha-x")])
    message = _error(tmp_path, doc)
    assert "architecture_of" in message and "alpha-s-distilled -> alpha-x" in message


def test_other_models_need_figures_and_their_own_ids(tmp_path):
    doc = family_doc("alpha", "Alpha", [variant_doc("alpha-s", "s", 40, 2, 10)],
                     other_models=[_other("alpha-n", reported={}), _other("alpha-s")])
    message = _error(tmp_path, doc)
    assert "other_models[0].reported" in message and "at least one" in message
    doc["other_models"] = [_other("alpha-s")]
    assert "duplicate variant ids: alpha-s" in _error(tmp_path, doc)


def test_default_registry_lists_damo_yolo_distilled_and_nano_models_as_reported_only():
    registry = load_registry()
    family = registry.family("damo-yolo")
    others = {o.id: o for o in family.other_models}
    distilled = {f"damo-yolo-{v}-distilled": ap for v, ap in zip("tsml", (43.6, 47.7, 50.2, 51.9))}
    for oid, ap in distilled.items():
        assert others[oid].reported["map50_95"][0].value == ap
        assert others[oid].architecture_of == oid.removesuffix("-distilled")
    for oid, ap, cpu in [("damo-yolo-ns", 32.3, 4.08), ("damo-yolo-nm", 38.2, 5.05), ("damo-yolo-nl", 40.5, 6.69)]:
        assert others[oid].input_size == 416 and others[oid].architecture_of is None
        assert others[oid].reported["map50_95"][0].value == ap
        assert others[oid].reported["latency_cpu_ms"][0].value == cpu
        assert "OpenVINO" in others[oid].reported["latency_cpu_ms"][0].hardware
    # they are listed, never measured: refresh and the tables iterate variants only
    assert not set(others) & {v.id for _f, v in registry.variants()}


def test_a_reported_only_family_needs_no_files_and_is_never_planned(tmp_path):
    from benchgen.refresh.plan import select

    docs = two_family_docs()
    docs[1].update(implementation=None, reported_only=True)
    registry = load_registry(write_registry(tmp_path / "reg", docs))
    assert [f.id for f, _ in registry.variants()].count("beta") == len(docs[1]["variants"])
    assert {f.id for f, _ in registry.measurable()} == {"alpha"}
    assert {f.id for f, _ in select(registry, None)} == {"alpha"}
    with pytest.raises(Exception, match="reported only"):
        select(registry, ["beta"])


def test_reported_only_contradicting_measurable_inputs_is_refused(tmp_path):
    doc = family_doc("alpha", "Alpha", [variant_doc("alpha-s", "s", 40, 2, 10)], reported_only=True)
    assert "reported_only: true, but implementation" in _error(tmp_path, doc)
    variant = variant_doc("alpha-s", "s", 40, 2, 10)
    variant["onnx"] = "alpha.onnx"
    doc = family_doc("alpha", "Alpha", [variant], implementation=None, reported_only=True)
    assert "alpha-s.onnx would be measured" in _error(tmp_path, doc)
    variant = variant_doc("alpha-s", "s", 40, 2, 10)
    variant["reported"] = {}
    doc = family_doc("alpha", "Alpha", [variant], implementation=None, reported_only=True)
    assert "without any reported figure: alpha-s" in _error(tmp_path, doc)


def test_an_independent_measurement_is_its_own_source_kind(tmp_path):
    variant = variant_doc("alpha-s", "s", 40, 2, 10)
    variant["reported"]["map50_95"].append({"value": 39.1, "source": "https://example.org/board",
                                            "source_name": "Board", "official": False, "measured_by": "Board Org"})
    family = load_family_doc(tmp_path, family_doc("alpha", "Alpha", [variant]))
    kinds = [v.source_kind for v in family.variants[0].reported["map50_95"]]
    assert kinds == ["official", "independent"]
    variant["reported"]["map50_95"][1]["official"] = True
    assert "cannot also be official" in _error(tmp_path, family_doc("alpha", "Alpha", [variant]))


def load_family_doc(tmp_path, doc):
    path = tmp_path / "ok.yaml"
    path.write_text(yaml.safe_dump(doc))
    return load_family(path)
