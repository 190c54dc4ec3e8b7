"""The ultralytics provider builds the trained model from a fetched release checkpoint.

The checkpoint is made here, in Ultralytics' own save format (`Model.save` in the provider's venv),
with a recognisable tensor, served by a web server on 127.0.0.1 as the variant's official URL,
fetched (trust on first use), and exported: the ONNX file must carry that tensor. A checkpoint of
another architecture must fail to load strictly.
"""

from __future__ import annotations

import os
import subprocess

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from benchgen.cli import main
from benchgen.errors import BenchgenError
from benchgen.measure.graph.model_files import resolve_model
from benchgen.providers import ultralytics as provider
from benchgen.providers.spec import ProviderUnavailable
from benchgen.registry import load_registry
from tests.conftest import family_doc, variant_doc, write_registry
from tests.fetch.server import LocalServer

#: run in .venv-ultralytics: build from the YAML, set the first class head's bias to a known ramp, save
MAKE_CHECKPOINT = """
import sys, torch
from ultralytics import YOLO
torch.manual_seed(7)
model = YOLO(sys.argv[1])
head = model.model.model[-1].cv3[0][-1]
with torch.no_grad():
    head.bias.copy_(torch.arange(head.bias.numel(), dtype=torch.float32) * 0.125 - 3.0)
model.save(sys.argv[2])
"""


@pytest.fixture
def installed(tmp_path, monkeypatch):
    try:
        provider.fingerprint()
    except ProviderUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI installs the ultralytics provider (scripts/bootstrap.sh --test), but: {exc}")
        pytest.skip(str(exc))
    root = tmp_path / "project"
    root.mkdir()
    monkeypatch.setenv("BENCHGEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("BENCHGEN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("BENCHGEN_FETCH_LOCK", str(tmp_path / "lock.json"))
    monkeypatch.setenv(provider.PYTHON_ENV, str(provider.python_path()))  # before BENCHGEN_ROOT moves
    monkeypatch.setenv("BENCHGEN_ROOT", str(root))  # no ../shared beside it
    return tmp_path


def make_checkpoint(tmp_path, config: str) -> bytes:
    path = tmp_path / f"{config}.pt"
    subprocess.run([str(provider.python_path()), "-I", "-c", MAKE_CHECKPOINT, config, str(path)], check=True,
                   cwd=tmp_path, capture_output=True, env={**os.environ, "YOLO_OFFLINE": "True",
                                                          "YOLO_CONFIG_DIR": str(tmp_path / "ycfg")})
    return path.read_bytes()


def registry_with(tmp_path, url: str):
    doc = variant_doc("tinyv8-n", "n", 37.3, 1.0, 3.2)
    doc.update(build={"config": "yolov8n.yaml"}, download={"path": "models/ultralytics/yolov8n.pt", "url": url,
                                                          "read_from": "a test"})
    return write_registry(tmp_path / "reg", [family_doc("tinyv8", "TinyV8", [doc], implementation=None,
                                                        build={"provider": "ultralytics"})])


@pytest.mark.slow
def test_the_export_carries_the_fetched_checkpoints_weights(installed, capsys):
    tmp_path = installed
    checkpoint = make_checkpoint(tmp_path, "yolov8n.yaml")
    with LocalServer() as server:
        server.state.files["/assets/yolov8n.pt"] = checkpoint
        registry_dir = registry_with(tmp_path, server.url + "assets/yolov8n.pt")
        assert main(["fetch", "tinyv8-n", "--registry", str(registry_dir)]) == 0
    registry = load_registry([registry_dir])
    model = resolve_model("tinyv8-n", registry=registry)
    assert model.trained and model.weights.name == "yolov8n.pt"
    assert model.provider_facts["weights_loaded"]["tensors"] > 100
    assert model.settings()["weights"].startswith("yolov8n.pt (sha256 ")
    ramp = (np.arange(80, dtype=np.float32) * 0.125 - 3.0).astype(np.float16).astype(np.float32)  # saved as fp16
    tensors = [numpy_helper.to_array(t) for t in onnx.load(str(model.onnx_path)).graph.initializer]
    assert any(t.shape == (80,) and np.allclose(t, ramp, atol=1e-3) for t in tensors)

    # refresh plans its mAP now (a dataset here: any COCO layout will do for planning)
    from benchgen.refresh.plan import plan

    (tmp_path / "coco" / "val2017").mkdir(parents=True)
    (tmp_path / "coco" / "annotations").mkdir()
    (tmp_path / "coco" / "annotations" / "instances_val2017.json").write_text("{}")
    jobs = plan(registry, [], {"ort-cpu": "cpu-test"}, backends=["ort-cpu"], images=tmp_path / "coco" / "val2017",
                annotations=tmp_path / "coco" / "annotations" / "instances_val2017.json")
    assert {j.kind for j in jobs if j.stale} == {"size", "latency-cpu", "accuracy"}

    # without the checkpoint the same variant is the fixed-seed build, a different file
    (tmp_path / "data" / "models" / "ultralytics" / "yolov8n.pt").unlink()
    untrained = resolve_model("tinyv8-n", registry=registry)
    assert not untrained.trained and untrained.onnx_sha256 != model.onnx_sha256


@pytest.mark.slow
def test_a_checkpoint_of_another_size_does_not_load(installed):
    tmp_path = installed
    checkpoint = make_checkpoint(tmp_path, "yolov8s.yaml")
    (tmp_path / "wrong.pt").write_bytes(checkpoint)
    with LocalServer() as server:
        registry = load_registry([registry_with(tmp_path, server.url + "assets/yolov8n.pt")])
    with pytest.raises(BenchgenError, match="does not load strictly"):
        resolve_model("tinyv8-n", registry=registry, weights=tmp_path / "wrong.pt")
