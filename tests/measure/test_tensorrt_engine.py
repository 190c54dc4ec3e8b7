"""The TensorRT path up to the GPU boundary, and on a GPU when there is one.

The engine builder is driven through a recording stand-in for the `tensorrt` module, so the
choices that make the numbers comparable (FP16, batch-1 profile, workspace limit, timing cache
kept on disk) are checked on any machine. The real build and timing run only where an NVIDIA GPU
and the tensorrt extra are present, and are skipped with that reason elsewhere.
"""

from __future__ import annotations

import subprocess
import sys
import types

import pytest

from benchgen.errors import BackendUnavailable, BenchgenError
from benchgen.measure.backends import gpu, tensorrt_engine
from benchgen.measure.backends.tensorrt_engine import build_engine, cuda_call, engine_paths, find_gpu, profile_shapes


def completed(stdout="", stderr="", returncode=0):
    return lambda *args, **kwargs: subprocess.CompletedProcess(args, returncode, stdout, stderr)


def test_no_nvidia_smi_is_one_line():
    def missing(*args, **kwargs):
        raise FileNotFoundError("nvidia-smi")

    with pytest.raises(BackendUnavailable) as error:
        find_gpu(missing)
    assert "needs an NVIDIA GPU" in str(error.value) and "\n" not in str(error.value)


def test_driver_without_gpu_is_one_line():
    with pytest.raises(BackendUnavailable, match="finds none \\(No devices were found\\)"):
        find_gpu(completed(stdout="No devices were found\n", returncode=6))


def test_gpu_name_and_driver_are_read():
    gpu = find_gpu(completed(stdout="NVIDIA H100 80GB HBM3, 550.54.15\nNVIDIA H100 80GB HBM3, 550.54.15\n"))
    assert (gpu.name, gpu.driver) == ("NVIDIA H100 80GB HBM3", "550.54.15")


@pytest.mark.parametrize("version, accepted", [("10.13.3.9", True), ("11.4.0.106", False)])
def test_only_tensorrt_10_is_accepted(monkeypatch, version, accepted):
    """TensorRT 11 removed BuilderFlag.FP16; a build with it would fail after minutes of export."""
    monkeypatch.setitem(sys.modules, "tensorrt", types.SimpleNamespace(__version__=version))
    if accepted:
        assert tensorrt_engine.import_tensorrt().__version__ == version
    else:
        with pytest.raises(BackendUnavailable, match="removed in 11"):
            tensorrt_engine.import_tensorrt()


def test_profile_is_batch_one_at_the_input_size():
    assert profile_shapes("images", (-1, 3, -1, -1), 640) == ((1, 3, 640, 640),) * 3
    assert profile_shapes("images", (1, 3, 416, 416), None) == ((1, 3, 416, 416),) * 3
    assert profile_shapes("orig_target_sizes", (-1, 2), 640) == ((1, 2),) * 3
    with pytest.raises(BenchgenError, match="dynamic axis 1"):
        profile_shapes("tokens", (1, -1), 640)


def test_cuda_errors_raise():
    assert cuda_call((0, 42)) == 42
    assert cuda_call((0,)) is None
    with pytest.raises(RuntimeError, match="CUDA call failed"):
        cuda_call((2, None))


def test_engine_cache_paths_depend_on_model_version_gpu_and_workspace(isolated_cache):
    engine, timing = engine_paths("ab" * 32, "10.3.0", "NVIDIA H100 80GB HBM3", 4 << 30)
    assert engine.parent == isolated_cache / "tensorrt" and engine.name.endswith("-fp16-ws4096m.engine")
    assert timing.name == "timing-trt10.3.0-nvidia-h100-80gb-hbm3.cache"
    assert engine_paths("cd" * 32, "10.3.0", "NVIDIA H100 80GB HBM3", 4 << 30)[1] == timing  # shared across models
    assert engine_paths("ab" * 32, "10.3.0", "NVIDIA L4", 4 << 30)[0] != engine


class FakeTensorRT(types.SimpleNamespace):
    """Records what the builder is asked for; serialises to fixed bytes."""

    def __init__(self, parses=True, input_shape=(-1, 3, -1, -1)):
        calls = []
        self.calls = calls
        self.__version__ = "10.3.0"
        self.Logger = type("Logger", (), {"WARNING": 2, "__init__": lambda self, level: None})
        self.MemoryPoolType = types.SimpleNamespace(WORKSPACE="workspace")
        self.BuilderFlag = types.SimpleNamespace(FP16="fp16")
        self.NetworkDefinitionCreationFlag = types.SimpleNamespace(EXPLICIT_BATCH=0)

        class Cache:
            def __init__(self, data):
                self.data = data

            def serialize(self):
                return b"timing:" + self.data

        class Config:
            def set_memory_pool_limit(self, pool, size):
                calls.append(("pool", pool, size))

            def set_flag(self, flag):
                calls.append(("flag", flag))

            def add_optimization_profile(self, profile):
                calls.append(("profile", dict(profile.shapes)))

            def create_timing_cache(self, data):
                calls.append(("cache-loaded", bytes(data)))
                return Cache(bytes(data))

            def set_timing_cache(self, cache, ignore_mismatch):
                self.cache = cache

            def get_timing_cache(self):
                return self.cache

        class Profile:
            def __init__(self):
                self.shapes = {}

            def set_shape(self, name, low, opt, high):
                self.shapes[name] = (low, opt, high)

        network = types.SimpleNamespace(num_inputs=1,
                                        get_input=lambda i: types.SimpleNamespace(name="images", shape=input_shape))

        class Builder:
            def __init__(self, logger):
                pass

            def create_network(self, flags):
                calls.append(("network-flags", flags))
                return network

            def create_builder_config(self):
                return Config()

            def create_optimization_profile(self):
                return Profile()

            def build_serialized_network(self, net, config):
                return b"ENGINE"

        class Parser:
            num_errors = 0 if parses else 1

            def __init__(self, net, logger):
                pass

            def parse_from_file(self, path):
                calls.append(("parse", path))
                return parses

            def get_error(self, index):
                return "Unsupported operator Foo"

        self.Builder, self.OnnxParser = Builder, Parser


def test_build_uses_fp16_batch_one_workspace_and_a_persistent_timing_cache(tmp_path):
    trt = FakeTensorRT()
    engine, cache = tmp_path / "e" / "m.engine", tmp_path / "e" / "timing.cache"
    build_engine(trt, tmp_path / "m.onnx", engine, cache, 416, workspace_bytes=1 << 30)
    assert ("flag", "fp16") in trt.calls and ("pool", "workspace", 1 << 30) in trt.calls
    assert ("profile", {"images": ((1, 3, 416, 416),) * 3}) in trt.calls
    assert ("network-flags", 0) in trt.calls  # TensorRT 10: explicit batch needs no flag
    assert ("cache-loaded", b"") in trt.calls
    assert engine.read_bytes() == b"ENGINE" and cache.read_bytes() == b"timing:"
    build_engine(trt, tmp_path / "m.onnx", engine, cache, 416)
    assert ("cache-loaded", b"timing:") in trt.calls  # the second build starts from the saved cache
    assert sorted(p.name for p in engine.parent.iterdir()) == ["m.engine", "timing.cache"]  # no temporaries left


def test_parse_errors_name_the_file_and_the_operator(tmp_path):
    with pytest.raises(BenchgenError, match="m.onnx: TensorRT cannot parse.*Unsupported operator Foo"):
        build_engine(FakeTensorRT(parses=False), tmp_path / "m.onnx", tmp_path / "x.engine", tmp_path / "t", 416)
    assert not (tmp_path / "x.engine").exists()


def test_measuring_without_a_gpu_fails_before_exporting_anything(monkeypatch, tiny_model, isolated_cache):
    from benchgen.measure.timing.latency_tensorrt import measure_trt_latency
    from benchgen.registry import load_registry

    def missing(*args, **kwargs):
        raise FileNotFoundError("nvidia-smi")

    monkeypatch.setattr(gpu.subprocess, "run", missing)
    with pytest.raises(BackendUnavailable):
        measure_trt_latency(tiny_model.variant_id, registry=load_registry(tiny_model.registry_dir))
    assert not isolated_cache.exists()


def _gpu_and_tensorrt() -> str | None:
    try:
        find_gpu(needed_by="TensorRT")
    except BackendUnavailable as exc:
        return str(exc)
    try:
        tensorrt_engine.import_tensorrt()
        tensorrt_engine.import_cudart()
    except BackendUnavailable as exc:
        return str(exc)
    return None


@pytest.mark.slow
def test_real_engine_build_and_gpu_timing(tiny_model):
    reason = _gpu_and_tensorrt()
    if reason:
        pytest.skip(reason)
    from benchgen.measure.timing.latency_tensorrt import measure_trt_latency
    from benchgen.registry import load_registry

    result = measure_trt_latency(tiny_model.variant_id, registry=load_registry(tiny_model.registry_dir),
                                 min_seconds=0.5)
    stats = result.timing.stats
    assert stats.runs >= 200 and 0 < stats.median <= stats.p90
    assert result.settings["precision"] == "fp16" and result.settings["tensorrt"] and result.settings["gpu"]
    assert result.provenance.machine.gpu == result.settings["gpu"]
