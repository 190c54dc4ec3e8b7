"""scripts/devcheck-gpu.sh and its driver, run through the CPU device (the GPU run itself needs a GPU)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from benchgen.results.provenance import current_machine
from benchgen.results.store import load_results
from tests.conftest import REPO


@pytest.fixture
def devcheck():
    spec = importlib.util.spec_from_file_location("devcheck_gpu", REPO / "scripts" / "devcheck_gpu.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    current_machine.cache_clear()


def test_the_shell_script_parses():
    assert subprocess.run(["bash", "-n", str(REPO / "scripts" / "devcheck-gpu.sh")]).returncode == 0


def test_placeholders_stand_in_only_for_missing_modules_and_refuse_use(devcheck, monkeypatch):
    monkeypatch.delitem(sys.modules, "surely_not_installed_xyz", raising=False)
    assert devcheck.install_placeholders(("json", "surely_not_installed_xyz")) == ["surely_not_installed_xyz"]
    stub = sys.modules.pop("surely_not_installed_xyz")
    with pytest.raises(ImportError, match="devcheck placeholder"):
        stub.load


def test_the_driver_measures_writes_keyed_results_and_summarises(devcheck, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BENCHGEN_CACHE_DIR", str(tmp_path / "cache"))
    code = devcheck.main(["--device", "cpu", "--only", "damo-yolo-t", "--input-size", "64", "--budget", "0.2",
                          "--results", str(tmp_path / "results")])
    out = capsys.readouterr().out
    assert code == 0
    [result] = load_results(tmp_path / "results")
    assert result.kind == "latency-torch-cuda" and result.cache_key and result.settings["device"] == "cpu"
    assert "damo-yolo-t" in out and "2.78 (NVIDIA T4)" in out and "1 result(s) written" in out


def test_without_a_gpu_the_driver_stops_with_one_line(tmp_path):
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "devcheck_gpu.py"), "--results",
                           str(tmp_path / "results")], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "BENCHGEN_CACHE_DIR": str(tmp_path / "cache"),
                               "CUDA_VISIBLE_DEVICES": ""})  # no GPU, also on a GPU runner
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "torch-cuda needs" in done.stderr
    assert not (tmp_path / "results").exists()
