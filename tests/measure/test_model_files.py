"""A variant resolves to one ONNX file: the registry's own, or a cached export."""

from __future__ import annotations

import sys
import textwrap

import pytest
import yaml

from benchgen.decoders.yolox import YoloxPipeline
from benchgen.errors import BenchgenError, CheckpointError
from benchgen.measure.graph.model_files import resolve_model
import benchgen.models
from benchgen.models.family import forget_families
from benchgen.registry import load_registry
from tests.measure.builders import write_tiny_registry

FAKE_IMPLEMENTATION = textwrap.dedent('''
    from pathlib import Path
    from benchgen.models.family import CheckpointSignature, ImplementationFamily
    from benchgen.decoders.yolox import YoloxPipeline
    from tests.measure.builders import build_tiny_yolox_onnx

    FAMILY = ImplementationFamily(name="fake", checkpoint=CheckpointSignature("Fake", ("fake",)),
                                  deploy="benchgen.models.fake_impl:deploy_inputs")
    EXPORTS = []

    def export_onnx(variant, output, weights=None, seed=0):
        EXPORTS.append((variant, weights, seed))
        build_tiny_yolox_onnx(Path(output), seed=seed)

    def make_pipeline(variant):
        return YoloxPipeline(32)
''')


def test_bring_your_own_path_resolves_against_the_project_root(tmp_path, monkeypatch, tiny_model):
    project = tmp_path / "project"
    (project / "models").mkdir(parents=True)
    tiny_model.onnx_path.rename(project / "models" / "tiny.onnx")
    registry_dir = write_tiny_registry(tmp_path / "relative", project / "models" / "tiny.onnx")
    doc = yaml.safe_load((registry_dir / "tiny.yaml").read_text())
    doc["variants"][0]["onnx"] = "models/tiny.onnx"
    (registry_dir / "tiny.yaml").write_text(yaml.safe_dump(doc))
    monkeypatch.setenv("BENCHGEN_ROOT", str(project))
    model = resolve_model("tiny-yolox", registry=load_registry(registry_dir))
    assert model.onnx_path == (project / "models" / "tiny.onnx").resolve()
    assert model.origin == "registry onnx" and isinstance(model.pipeline, YoloxPipeline)
    assert model.pipeline.input_size == (32, 32)
    assert model.settings()["weights"] == "in the ONNX file"


def test_missing_registry_onnx_names_the_entry_and_the_path(tmp_path, tiny_model):
    tiny_model.onnx_path.unlink()
    with pytest.raises(BenchgenError, match=r"tiny_yolox.onnx: ONNX file of registry entry tiny/tiny-yolox"):
        resolve_model("tiny-yolox", registry=load_registry(tiny_model.registry_dir))


def test_weights_do_not_apply_to_a_bring_your_own_file(tiny_model, tmp_path):
    with pytest.raises(BenchgenError, match="--weights applies only"):
        resolve_model("tiny-yolox", weights=tmp_path / "x.pth", registry=load_registry(tiny_model.registry_dir))


def test_unknown_variant_lists_the_known_ones(tiny_model):
    with pytest.raises(BenchgenError, match="known: tiny-yolox"):
        resolve_model("nope", registry=load_registry(tiny_model.registry_dir))


@pytest.fixture
def fake_family(tmp_path, monkeypatch, tiny_model):
    package = tmp_path / "pkgs" / "fake_impl"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(FAKE_IMPLEMENTATION)
    # a family package joins benchgen.models (benchgen.models.family)
    monkeypatch.setattr(benchgen.models, "__path__", [*benchgen.models.__path__, str(tmp_path / "pkgs")])
    sys.modules.pop("benchgen.models.fake_impl", None)
    forget_families()
    doc = yaml.safe_load((tiny_model.registry_dir / "tiny.yaml").read_text())
    doc.pop("decoder")
    doc["implementation"] = "fake"
    doc["variants"][0].pop("onnx")
    (tiny_model.registry_dir / "tiny.yaml").write_text(yaml.safe_dump(doc))
    from benchgen.models import fake_impl

    fake_impl.EXPORTS.clear()
    yield load_registry(tiny_model.registry_dir), fake_impl
    sys.modules.pop("benchgen.models.fake_impl", None)
    forget_families()


def test_export_is_cached_per_seed_and_weights(fake_family, isolated_cache, tmp_path):
    registry, module = fake_family
    first = resolve_model("tiny-yolox", registry=registry)
    again = resolve_model("tiny-yolox", registry=registry)
    other_seed = resolve_model("tiny-yolox", seed=1, registry=registry)
    weights = tmp_path / "w.pth"
    weights.write_bytes(b"weights")
    with_weights = resolve_model("tiny-yolox", weights=weights, registry=registry)
    assert len(module.EXPORTS) == 3  # the second call reused the first export
    assert first.onnx_path == again.onnx_path and first.onnx_path.is_relative_to(isolated_cache / "onnx")
    assert len({first.onnx_path, other_seed.onnx_path, with_weights.onnx_path}) == 3
    assert first.settings()["weights"] == "random (seed 0)" and with_weights.settings()["weights"] == str(weights)
    assert not list((isolated_cache / "onnx").glob(".*tmp*"))  # exported under a temporary name, then renamed


def test_missing_weights_file_is_a_checkpoint_error(fake_family, tmp_path):
    registry, _ = fake_family
    with pytest.raises(CheckpointError, match="w.pth: weights file not found"):
        resolve_model("tiny-yolox", weights=tmp_path / "w.pth", registry=registry)
