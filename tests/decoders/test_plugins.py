"""A decoder from another distribution, found through the `benchgen.decoders` entry-point group.

The plugin distribution is built in the test: a package and a dist-info directory with
entry_points.txt on a tmp path put on sys.path, which is all importlib.metadata needs.
"""

from __future__ import annotations

import sys
import textwrap

import numpy as np
import pytest

from benchgen.decoders import get_decoder, known_decoders
from benchgen.errors import BenchgenError, RegistryError
from benchgen.measure.graph.model_files import resolve_model
from benchgen.registry import load_registry
from tests.decoders.builders import constant_onnx, five_line_registry

PLUGIN = '''
import numpy as np
from benchgen.decoders.base import Decoded, DecoderPipeline
from benchgen.decoders.preprocess import Convention
from benchgen.decoders.spec import DecoderSpec

def check(info, input_size):
    return None if [t.name for t in info.outputs] == ["my_dets"] else "expects one output named my_dets"

def build(ctx):
    def decode(outputs, meta):
        rows = np.asarray(outputs[0])[0]  # (K, 7): score, class, x1, y1, x2, y2, spare
        return Decoded(rows[:, 2:6], rows[:, 0], rows[:, 1].astype(int))
    return DecoderPipeline((ctx.input_size, ctx.input_size), ctx.convention, decode, ctx.class_map,
                           image_input=ctx.info.image_input.name, settings={"decoder": "my-format"})

DECODER = DecoderSpec("my-format", "score-first rows", Convention(resize="stretch"), build, {}, check,
                      lambda info, size: check(info, size) is None)
'''


def install_plugin(root, entry: str, name: str = "my-format", module: str = "my_benchgen_plugin",
                   source: str = PLUGIN):
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{module}.py").write_text(source)
    dist = root / f"{module}-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(textwrap.dedent(f"""\
        [benchgen.decoders]
        {name} = {entry}
        """))


@pytest.fixture
def plugin_path(tmp_path, monkeypatch):
    root = tmp_path / "site"
    monkeypatch.syspath_prepend(str(root))
    get_decoder.cache_clear()
    yield root
    get_decoder.cache_clear()
    for name in [m for m in sys.modules if m.startswith("my_benchgen_plugin") or m.startswith("broken_plugin")]:
        del sys.modules[name]


def test_a_plugin_decoder_is_listed_named_in_the_registry_and_recognised_by_auto(tmp_path, plugin_path):
    install_plugin(plugin_path, "my_benchgen_plugin:DECODER")
    assert "my-format" in known_decoders()
    rows = np.array([[[0.9, 0, 8, 8, 40, 40, 0]]], np.float32)
    path = constant_onnx(tmp_path / "mine.onnx", {"my_dets": rows}, 64)
    for extra in ({"decoder": "my-format"}, {}):  # named, then found by auto
        registry = load_registry(five_line_registry(tmp_path / f"reg{len(extra)}", path, 64, **extra))
        model = resolve_model("mine-a", registry=registry)
        assert model.pipeline.settings["decoder"] == "my-format"
        feeds, meta = model.pipeline.preprocess(np.zeros((128, 64, 3), np.uint8))
        detections = model.pipeline.postprocess([rows], meta)
        np.testing.assert_allclose(detections.boxes[0], [8, 16, 40, 80])  # 64 wide, 128 high: x / 1, y / 0.5
        assert detections.category_ids.tolist() == [1]


def test_a_broken_plugin_fails_naming_itself_only_when_used(tmp_path, plugin_path):
    install_plugin(plugin_path, "broken_plugin:DECODER", name="broken", module="broken_plugin",
                   source="raise ImportError('needs libfoo')\n")
    assert "broken" in known_decoders()  # listed without importing it
    path = constant_onnx(tmp_path / "mine.onnx", {"output0": np.zeros((1, 300, 6), np.float32)}, 64)
    load_registry(five_line_registry(tmp_path / "ok", path, 64, decoder="end2end"))  # untouched by the plugin
    with pytest.raises(RegistryError, match=r"decoder plugin 'broken' = broken_plugin:DECODER \(from broken_plugin "
                                            r"0.1\) failed to import: ImportError: needs libfoo"):
        load_registry(five_line_registry(tmp_path / "bad", path, 64, decoder="broken"))


def test_a_plugin_that_is_not_a_decoder_spec_is_refused(plugin_path):
    install_plugin(plugin_path, "my_benchgen_plugin:check", name="odd")
    with pytest.raises(BenchgenError, match="is not a benchgen.decoders.spec.DecoderSpec"):
        get_decoder("odd")
