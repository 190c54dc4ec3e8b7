"""The provider interface, driven by a small fake provider installed as an entry-point plugin.

The fake provider is a distribution built in the test (a module and a dist-info directory with
entry_points.txt on a tmp path put on sys.path, all importlib.metadata needs). Its export writes a
tiny end-to-end-format ONNX graph carrying Ultralytics-style metadata and counts its calls in a
file, so the tests see what benchgen asks of a provider: the complete export arguments, the seed,
one export per inputs, and a clean "not installed" when its fingerprint says so.
"""

from __future__ import annotations

import json
import sys
import textwrap

import numpy as np
import pytest
import yaml

from benchgen.errors import BenchgenError, RegistryError
from benchgen.measure.graph.model_files import resolve_model
from benchgen.measure.graph.size import measure_size
from benchgen.providers import get_provider, known_providers
from benchgen.refresh.plan import plan
from benchgen.registry import load_registry
from tests.conftest import reported

PLUGIN = '''
import json, os
from pathlib import Path
import numpy as np
from benchgen.providers.spec import ExportRequest, ProviderSpec, ProviderUnavailable
from tests.decoders.builders import constant_onnx

LOG = Path(os.environ["FAKE_PROVIDER_LOG"])

def fingerprint():
    if os.environ.get("FAKE_PROVIDER_ABSENT"):
        raise ProviderUnavailable("fake-pkg is not installed; install it with `pip install fake-pkg`")
    return {"fake-pkg": os.environ.get("FAKE_PROVIDER_VERSION", "1.0")}

def export(request: ExportRequest):
    with LOG.open("a") as log:
        log.write(json.dumps({"config": request.config, "export": request.export, "options": request.options,
                              "seed": request.seed}) + "\\n")
    size = request.export["imgsz"]
    rows = np.zeros((1, 300, 6), np.float32)
    rows[0, 0] = [8, 8, 40, 40, 0.9, 0]
    meta = {"author": "Ultralytics", "task": "detect", "imgsz": f"[{size}, {size}]", "stride": 32, "end2end": "True"}
    constant_onnx(Path(request.output), {"output0": rows}, size, meta)
    return {"opset": 17, "fake_note": "exported by the fake provider"}

def check(options, export, input_size):
    return None if export["imgsz"] == input_size else f"imgsz {export['imgsz']} is not input_size {input_size}"

PROVIDER = ProviderSpec("fake", "a fake provider for tests", "pip install fake-pkg", fingerprint, export,
                        export_defaults=lambda size: {"format": "onnx", "imgsz": size, "simplify": True},
                        options={"flavour": "plain"}, check=check)
'''


@pytest.fixture
def fake_provider(tmp_path, monkeypatch):
    root = tmp_path / "site"
    root.mkdir()
    (root / "fake_benchgen_provider.py").write_text(PLUGIN)
    dist = root / "fake_benchgen_provider-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fake_benchgen_provider\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(textwrap.dedent("""\
        [benchgen.providers]
        fake = fake_benchgen_provider:PROVIDER
        """))
    monkeypatch.syspath_prepend(str(root))
    log = tmp_path / "exports.log"
    monkeypatch.setenv("FAKE_PROVIDER_LOG", str(log))
    monkeypatch.setenv("BENCHGEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("BENCHGEN_REGISTRY", raising=False)
    get_provider.cache_clear()
    yield log
    get_provider.cache_clear()
    sys.modules.pop("fake_benchgen_provider", None)


def exports(log) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def variant(vid: str, scale: str, config: str | None, **extra) -> dict:
    doc = {"id": vid, "name": vid.upper(), "scale": scale, "input_size": 64,
           "reported": {"params_m": reported(2.0), "map50_95": reported(40.0)}, **extra}
    if config and "build" not in doc:
        doc["build"] = {"config": config}
    return doc


def write_family(directory, variants: list[dict], build: dict | None = None, fid: str = "fakefam") -> object:
    directory.mkdir(parents=True, exist_ok=True)
    doc = {"id": fid, "name": "Fake family", "build": build or {"provider": "fake", "export": {"end2end": True}},
           "variants": variants}
    (directory / f"{fid}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return directory


def fake_registry(tmp_path, **kwargs):
    return load_registry(write_family(tmp_path / "registry", [
        variant("fake-n", "n", "fake-n.cfg"), variant("fake-s", "s", "fake-s.cfg", build={
            "config": "fake-s.cfg", "export": {"simplify": False}}),
        variant("fake-old", "m", None, reported_only=True)], **kwargs))


def test_the_plugin_is_listed_and_a_variant_it_builds_is_measured_from_its_export(tmp_path, fake_provider):
    assert "fake" in known_providers()
    registry = fake_registry(tmp_path)
    model = resolve_model("fake-n", registry=registry)
    assert model.origin == "provider" and not model.trained  # fixed-seed weights: never an mAP
    assert model.pipeline.settings["decoder"] == "end2end"  # the existing decoders read the export
    # what benchgen asked: the provider's documented defaults, the family's and the variant's arguments
    assert exports(fake_provider) == [{"config": "fake-n.cfg", "options": {"flavour": "plain"}, "seed": 0,
                                       "export": {"format": "onnx", "imgsz": 64, "simplify": True, "end2end": True}}]
    settings = model.settings()
    assert settings["built_by"] == "fake (fake-pkg 1.0)"
    assert settings["config"] == "fake-n.cfg" and "end2end=True" in settings["export_args"]
    assert settings["weights"] == "random (seed 0)" and settings["opset"] == "17"
    detections = model.pipeline.postprocess([np.array([[[8, 8, 40, 40, 0.9, 0]]], np.float32)],
                                            model.pipeline.preprocess(np.zeros((64, 64, 3), np.uint8))[1])
    assert detections.category_ids.tolist() == [1]
    # the variant's own export argument is over the family's
    resolve_model("fake-s", registry=registry)
    assert exports(fake_provider)[-1]["export"]["simplify"] is False


def test_an_export_is_done_once_per_package_version_config_and_arguments(tmp_path, fake_provider, monkeypatch):
    registry = fake_registry(tmp_path)
    first = resolve_model("fake-n", registry=registry)
    again = resolve_model("fake-n", registry=registry)
    assert again.onnx_path == first.onnx_path and len(exports(fake_provider)) == 1
    assert again.provider_facts["fake_note"] == "exported by the fake provider"  # facts kept beside the file
    monkeypatch.setenv("FAKE_PROVIDER_VERSION", "2.0")  # a new package release: a new export
    newer = resolve_model("fake-n", registry=registry)
    assert newer.onnx_path != first.onnx_path and len(exports(fake_provider)) == 2
    assert resolve_model("fake-n", registry=registry, seed=1).onnx_path != newer.onnx_path  # other weights


def test_size_is_counted_from_the_provider_export_and_records_what_built_it(tmp_path, fake_provider):
    result = measure_size("fake-n", registry=fake_registry(tmp_path))
    assert result.status == "ok" and result.details["params"] == 300 * 6  # the graph's one constant
    assert result.settings["built_by"].startswith("fake") and result.settings["config"] == "fake-n.cfg"


def test_refresh_plans_the_smallest_size_by_default_all_of_them_with_all_and_never_an_accuracy(
        tmp_path, fake_provider):
    registry = fake_registry(tmp_path)
    machines = {"ort-cpu": "m1"}
    default = plan(registry, [], machines, backends=["ort-cpu"])
    assert {(j.variant.id, j.kind) for j in default} == {("fake-n", "size"), ("fake-n", "latency-cpu")}
    everything = plan(registry, [], machines, backends=["ort-cpu"], all_variants=True)
    assert {j.variant.id for j in everything} == {"fake-n", "fake-s"}  # the reported-only one never
    assert not any(j.kind == "accuracy" for j in everything)
    assert exports(fake_provider) == []  # planning never exports
    assert {j.variant.id for j in plan(registry, [], machines, backends=["ort-cpu"], only=["fakefam"])} == {
        "fake-n", "fake-s"}
    with pytest.raises(BenchgenError, match="reported only"):
        plan(registry, [], machines, backends=["ort-cpu"], only=["fake-old"])


def test_the_cache_key_follows_the_package_version_and_the_export_arguments(tmp_path, fake_provider, monkeypatch):
    registry = fake_registry(tmp_path)
    machines = {"ort-cpu": "m1"}
    key = {j.kind: j.key for j in plan(registry, [], machines, backends=["ort-cpu"])}
    monkeypatch.setenv("FAKE_PROVIDER_VERSION", "2.0")
    newer = {j.kind: j.key for j in plan(registry, [], machines, backends=["ort-cpu"])}
    assert key["size"] != newer["size"] and key["latency-cpu"] != newer["latency-cpu"]
    other = load_registry(write_family(tmp_path / "other", [variant("fake-n", "n", "fake-n.cfg")],
                                       build={"provider": "fake", "export": {"end2end": False}}))
    assert {j.kind: j.key for j in plan(other, [], machines, backends=["ort-cpu"])}["size"] != newer["size"]


def test_a_missing_provider_makes_its_variants_unavailable_naming_the_install(tmp_path, fake_provider, monkeypatch):
    monkeypatch.setenv("FAKE_PROVIDER_ABSENT", "1")
    registry = fake_registry(tmp_path)
    jobs = plan(registry, [], {"ort-cpu": "m1"}, backends=["ort-cpu"])
    assert jobs and all(j.unavailable and not j.stale for j in jobs)
    assert "pip install fake-pkg" in jobs[0].reason
    with pytest.raises(BenchgenError, match="pip install fake-pkg"):
        resolve_model("fake-n", registry=registry)
    assert exports(fake_provider) == []


def test_registry_errors_name_the_file_and_the_fix(tmp_path, fake_provider):
    def error(variants, build=None) -> str:
        with pytest.raises(RegistryError) as caught:
            load_registry(write_family(tmp_path / f"bad{len(list(tmp_path.iterdir()))}", variants, build))
        return str(caught.value)

    assert "no build option colour" in error([variant("fake-n", "n", "a.cfg")],
                                             {"provider": "fake", "options": {"colour": "red"}})
    assert "imgsz 32 is not input_size 64" in error([variant("fake-n", "n", "a.cfg")],
                                                    {"provider": "fake", "export": {"imgsz": 32}})
    assert "unknown provider 'nope'" in error([variant("fake-n", "n", "a.cfg")], {"provider": "nope"})
    assert "no build.config" in error([variant("fake-n", "n", None)])
    assert "both onnx and a provider build" in error([variant("fake-n", "n", "a.cfg", onnx="x.onnx")])
    assert "needs at least one reported figure" in error([{**variant("fake-n", "n", None, reported_only=True),
                                                           "reported": {}}])


def test_refresh_all_and_kind_on_the_command_line(tmp_path, fake_provider, capsys):
    from benchgen.cli import main

    registry_dir = write_family(tmp_path / "registry", [variant("fake-n", "n", "fake-n.cfg"),
                                                        variant("fake-s", "s", "fake-s.cfg")])
    base = ["refresh", "--dry-run", "--registry", str(registry_dir), "--no-builtin", "--backend", "ort-cpu",
            "--results", str(tmp_path / "results")]
    assert main(base) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("run ")]
    assert [line.split()[1:3] for line in lines] == [["fake-n", "size"], ["fake-n", "latency-cpu"]]
    assert main([*base, "--all", "--kind", "size"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("run ")]
    assert [line.split()[1:3] for line in lines] == [["fake-n", "size"], ["fake-s", "size"]]
