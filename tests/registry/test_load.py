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
    del doc["license"]
    message = _error(tmp_path, doc)
    assert "bad.yaml" in message and "license" in message and "Field required" in message


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


def test_bring_your_own_onnx_needs_decoder_and_files(tmp_path):
    doc = family_doc("alpha", "Alpha", [variant_doc("alpha-s", "s", 40, 2, 10)], implementation=None)
    message = _error(tmp_path, doc)
    assert "decoder" in message and "alpha-s" in message


def test_duplicate_variant_across_files(tmp_path):
    docs = two_family_docs()
    docs[1]["variants"][0]["id"] = "alpha-s"
    write_registry(tmp_path / "reg", docs)
    with pytest.raises(RegistryError, match="alpha-s.*already defined"):
        load_registry(tmp_path / "reg")


def test_empty_directory(tmp_path):
    with pytest.raises(RegistryError, match="no registry files"):
        load_registry(tmp_path)
