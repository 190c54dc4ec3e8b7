"""The real ultralytics provider, where its venv is installed (scripts/bootstrap.sh --ultralytics; CI installs it
through --test, so there a missing venv fails instead of skipping).

Two real exports, once per test session into one cache: YOLO11n (raw head) and YOLO26n (end2end head).
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import onnx
import pytest

from benchgen.errors import BenchgenError
from benchgen.measure.graph.model_files import resolve_model
from benchgen.measure.graph.size import count_size
from benchgen.providers import ultralytics as provider
from benchgen.providers.spec import ProviderUnavailable
from benchgen.registry import load_registry

REPO = Path(__file__).resolve().parents[2]


def test_without_the_venv_the_provider_is_unavailable_naming_the_install(monkeypatch, tmp_path):
    monkeypatch.setenv(provider.PYTHON_ENV, str(tmp_path / "nowhere" / "bin" / "python"))
    with pytest.raises(ProviderUnavailable, match=re.escape("scripts/bootstrap.sh --ultralytics")):
        provider.fingerprint()


def test_benchgen_never_imports_ultralytics_outside_the_worker():
    """The AGPL package is imported only by the worker scripts (fixed-seed and trained), in the provider's own venv."""
    importers = []
    for path in (REPO / "benchgen").rglob("*.py"):
        if re.search(r"^\s*(import ultralytics|from ultralytics\b)", path.read_text(), re.M):
            importers.append(path.relative_to(REPO).as_posix())
    assert sorted(importers) == ["benchgen/providers/ultralytics_trained.py", "benchgen/providers/ultralytics_worker.py"]


def test_the_registry_refuses_arguments_the_measurement_cannot_take():
    assert "batch 1" in provider.check({"model": "YOLO"}, provider.export_defaults(640) | {"dynamic": True}, 640)
    assert "torchvision" in provider.check({"model": "YOLO"}, provider.export_defaults(640) | {"nms": True}, 640)
    assert "one of YOLO, RTDETR" in provider.check({"model": "SAM"}, provider.export_defaults(640), 640)
    assert provider.check({"model": "RTDETR"}, provider.export_defaults(640) | {"end2end": True}, 640) is None


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    try:
        provider.fingerprint()
    except ProviderUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI installs the ultralytics provider (scripts/bootstrap.sh --test), but: {exc}")
        pytest.skip(str(exc))
    cache = tmp_path_factory.mktemp("ultralytics-cache")
    saved = os.environ.get("BENCHGEN_CACHE_DIR")
    os.environ["BENCHGEN_CACHE_DIR"] = str(cache)
    yield load_registry()
    if saved is None:
        os.environ.pop("BENCHGEN_CACHE_DIR", None)
    else:
        os.environ["BENCHGEN_CACHE_DIR"] = saved


@pytest.mark.slow
def test_yolo11n_is_exported_by_the_official_package_with_about_2_6_m_params(installed):
    model = resolve_model("yolo11-n", registry=installed)
    facts = model.provider_facts
    assert facts["ultralytics"] == "8.4.190" and facts["versions"]["ultralytics"] == "8.4.190"
    assert facts["package_params_fused"] == 2_616_248  # the package's own count (published: 2.6 M)
    assert facts["opset"] == 18 and facts["torchvision_imported"] is False
    assert "ultralytics" not in sys.modules  # benchgen's process never imported it
    graph = onnx.load(str(model.onnx_path))
    assert [d.dim_value for d in graph.graph.output[0].type.tensor_type.shape.dim] == [1, 84, 8400]
    assert model.pipeline.settings["decoder"] == "ultralytics"  # recognised from the export's metadata
    params = count_size(graph, 640).params
    assert abs(params / 2.6e6 - 1) < 0.03  # within 3 % of the official table
    settings = model.settings()
    assert settings["built_by"].startswith("ultralytics 8.4.190 (onnx ")
    assert "imgsz=640" in settings["export_args"] and "simplify=True" in settings["export_args"]
    again = resolve_model("yolo11-n", registry=installed)
    assert again.onnx_path == model.onnx_path  # exported once


@pytest.mark.slow
def test_yolo26n_is_exported_with_its_official_nms_free_head(installed):
    model = resolve_model("yolo26-n", registry=installed)
    graph = onnx.load(str(model.onnx_path))
    assert [d.dim_value for d in graph.graph.output[0].type.tensor_type.shape.dim] == [1, 300, 6]
    assert model.pipeline.settings["decoder"] == "end2end"
    assert "end2end=True" in model.settings()["export_args"]
    # a provider build takes a release checkpoint (loaded strictly), never a file that is not there
    with pytest.raises(BenchgenError, match="weights file not found"):
        resolve_model("yolo26-n", registry=installed, weights=Path("yolo26n.pt"))
