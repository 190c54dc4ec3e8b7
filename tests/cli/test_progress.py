"""Long silent steps say what they are doing (on stderr, so stdout stays clean for --json)."""

from __future__ import annotations

import json
import shutil

import numpy as np

from benchgen.cli import main
from benchgen.measure.graph import model_files
from tests.decoders.builders import constant_onnx, five_line_registry


def test_latency_takes_the_refresh_option_name_and_announces_the_timing(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BENCHGEN_CACHE_DIR", str(tmp_path / "cache"))
    path = constant_onnx(tmp_path / "m.onnx", {"output0": np.zeros((1, 300, 6), np.float32)}, 64)
    registry = five_line_registry(tmp_path / "reg", path, 64, decoder="end2end")
    assert main(["latency", "mine-a", "--registry", str(registry), "--latency-budget", "0.2", "--threads", "1",
                 "--results", str(tmp_path / "results"), "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["kind"] == "latency-cpu"
    assert "timing mine-a with ONNX Runtime on the CPU" in err and "up to 0.2 s" in err


def test_an_export_announces_itself_and_its_duration(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BENCHGEN_CACHE_DIR", str(tmp_path / "cache"))
    tiny = constant_onnx(tmp_path / "t.onnx", {"output0": np.zeros((1, 300, 6), np.float32)}, 64)

    class FakeImplementation:
        @staticmethod
        def export_onnx(variant_id, output, weights=None, seed=0):
            shutil.copyfile(tiny, output)

    import benchgen.models

    monkeypatch.setattr(benchgen.models, "implementation", lambda name: FakeImplementation)
    monkeypatch.setattr(model_files, "implementation_source_hash", lambda name: "fake")
    from benchgen.registry import load_registry

    family, variant = load_registry().variant("damo-yolo-t")
    model_files.exported_onnx(family, variant, None, 0)
    err = capsys.readouterr().err
    assert "exporting damo-yolo-t to ONNX (random weights, seed 0); this takes 30-40 s" in err
    assert "exported damo-yolo-t in 0 s" in err
    model_files.exported_onnx(family, variant, None, 0)  # cached: nothing to announce
    assert capsys.readouterr().err == ""
