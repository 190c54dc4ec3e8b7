"""Every bad input a user can give ends in exit code 2 and one line naming what is at fault, with
nothing partial written and no expensive work started. One row per case of issues 12, 23 and 30.

Some faults of issue 30 are not errors of the user's command but are handled in its stead (a dead
render's staging folders removed, a corrupt cache entry rebuilt, a broken plugin skipped, hostile
text made inert): those are the rows of HANDLED, each with the outcome it must have."""

from __future__ import annotations

import json
import os
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
import torch
import yaml

from benchgen.cli import main
from benchgen.results.provenance import current_machine
from benchgen.results.schema import SCHEMA_VERSION
from tests.conftest import family_doc, make_result, two_family_docs, variant_doc, write_registry
from tests.decoders.builders import constant_onnx, five_line_registry
from tests.measure.builders import (build_huge_png, build_synthetic_coco, build_tiny_yolox_onnx,
                                    write_tiny_registry)

#: directories no one can create files in, root included (tests may run as root, where chmod does nothing)
UNWRITABLE = Path("/sys/benchgen-test")
PROC = Path("/proc")


@dataclass
class Project:
    tmp: Path
    registry: Path  # two crafted families
    tiny_registry: Path  # one bring-your-own tiny ONNX variant, "tiny-yolox"
    results: Path
    docs: Path
    monkeypatch: pytest.MonkeyPatch | None = None  # for a row that installs a plugin

    def site(self, *extra: str, registry: Path | None = None) -> list[str]:
        return ["--registry", str(registry or self.registry), "--results", str(self.results),
                "--docs", str(self.docs), *extra]


@dataclass
class Case:
    id: str
    argv: Callable[[Project], list[str]]
    message: list[str]  # fragments of the one error line
    env: dict[str, str] = field(default_factory=dict)
    setup: Callable[[Project], None] = lambda p: None
    no_export: bool = False  # the export must not even start
    no_measure: bool = False  # the refresh must not start measuring


def _bad_registry(content: bytes) -> Callable[[Project], None]:
    def setup(project: Project) -> None:
        path = project.registry / "alpha.yaml"
        path.write_bytes(content(path.read_bytes()) if callable(content) else content)
    return setup


def _result_file(project: Project, name: str, text: str) -> None:
    path = project.results / "cpu-test-2c" / "alpha-s" / "size" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _newer_result(project: Project) -> None:
    doc = make_result("alpha-s", "size", {"params_m": 1.0, "flops_g": 1.0}).model_dump(mode="json")
    _result_file(project, "20260101T000000000000Z.json", json.dumps({**doc, "schema_version": SCHEMA_VERSION + 1}))


def _other_family_checkpoint(project: Project) -> None:
    # the official RT-DETRv2 training layout: the state dict under ema -> module
    state = {"backbone.conv1.weight": torch.zeros(1), "encoder.proj.weight": torch.zeros(1),
             "decoder.head.weight": torch.zeros(1)}
    torch.save({"ema": {"module": state, "updates": 100}, "last_epoch": 71}, project.tmp / "rtdetrv2_r18vd.pth")


def _users_files(*relative: str, rendered_before: bool = False) -> Callable[[Project], None]:
    """The user's own pages in folders a render writes, in a docs directory rendered before or not."""
    def setup(project: Project) -> None:
        if rendered_before:
            assert main(["render", *project.site()]) == 0
        for name in relative:
            path = project.docs / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("# My own notes\n")
    return setup


def _result_doc(**provenance) -> dict:
    doc = make_result("alpha-s", "size", {"params_m": 1.0, "flops_g": 1.0}).model_dump(mode="json")
    doc["provenance"].update(provenance)
    return doc


def _future_result(project: Project) -> None:
    _result_file(project, "29990101T000000000000Z.json", json.dumps(_result_doc(date="2999-01-01T00:00:00Z")))


def _result_with_unknown_key(project: Project) -> None:
    _result_file(project, "20260101T000000000000Z.json", json.dumps({**_result_doc(), "extra_key": 1}))


def _one_channel_model(project: Project) -> None:
    """A bring-your-own export for grey images, dynamic batch: ONNX Runtime refused it mid-eval."""
    onnx_path = build_tiny_yolox_onnx(project.tmp / "grey.onnx", channels=1, batch="N")
    write_tiny_registry(project.tmp / "grey-registry", onnx_path, variant_id="grey-yolox")
    build_synthetic_coco(project.tmp / "coco")


def _batch_8_model(project: Project) -> None:
    write_tiny_registry(project.tmp / "batch-registry", build_tiny_yolox_onnx(project.tmp / "b8.onnx", batch=8),
                        variant_id="batch-yolox")


def _coco(p: Project) -> list[str]:
    return ["--images", str(p.tmp / "coco" / "val2017"), "--annotations",
            str(p.tmp / "coco" / "annotations" / "instances_val2017.json")]

# issue 30


def _nan_checkpoint(project: Project) -> None:
    """A DAMO-YOLO-T state dict of the right keys and shapes, every weight NaN (a diverged run)."""
    from benchgen.models.damoyolo import build_model

    state = {k: (v.fill_(float("nan")) if v.is_floating_point() else v)
             for k, v in build_model("damo-yolo-t").state_dict().items()}
    torch.save({"model": state}, project.tmp / "nan.pth")


def _nan_output_model(project: Project) -> None:
    """A YOLOX-shaped bring-your-own export whose every output is NaN."""
    rows = sum((32 // s) ** 2 for s in (8, 16, 32))
    path = constant_onnx(project.tmp / "nan.onnx", {"output": np.full((1, rows, 85), np.nan, np.float32)}, 32)
    write_tiny_registry(project.tmp / "nan-registry", path, variant_id="nan-yolox")
    build_synthetic_coco(project.tmp / "coco")


def _resized_image(project: Project) -> None:
    """The annotation says one size, the file under its name has another (a resized copy)."""
    build_synthetic_coco(project.tmp / "coco")
    path = project.tmp / "coco" / "annotations" / "instances_val2017.json"
    data = json.loads(path.read_text())
    data["images"][1]["width"] += 40
    path.write_text(json.dumps(data))


def _two_checkpoints(project: Project) -> None:
    weights = project.tmp / "weights"
    weights.mkdir()
    (weights / "damoyolo_tinynasL20_T.pth").write_bytes(b"complete")
    (weights / "damoyolo_tinynasL20_T.pth.part.pth").write_bytes(b"partial")


def _lock_link(tree: Callable[[Project], Path]) -> Callable[[Project], None]:
    def setup(project: Project) -> None:
        (project.tmp / "precious.txt").write_text("a user's file\n")
        tree(project).mkdir(parents=True, exist_ok=True)
        (tree(project) / ".benchgen.lock").symlink_to(project.tmp / "precious.txt")
    return setup


def _users_lock_file(project: Project) -> None:
    project.docs.mkdir()
    (project.docs / ".benchgen.lock").write_text("my notes on locking, keep them\n")


def _colliding_slugs(project: Project) -> None:
    """x-vs-y + z and x + y-vs-z both join into compare/x-vs-y-vs-z.md."""
    docs = [family_doc(fid, fid.upper(), [variant_doc(f"{fid}-s", "s", 40.0, 2.0, 10.0)])
            for fid in ("x-vs-y", "x", "y-vs-z", "z")]
    write_registry(project.registry, docs)


#: a stand-in for the ultralytics provider's venv: its interpreter writes the file it is asked for
#: and prints the facts line given in FAKE_FACTS (benchgen.providers.ultralytics runs it); it logs
#: each call in the cache directory
FAKE_PYTHON = """#!{python}
import json, os, sys
request = json.loads(sys.argv[-1])
open(request["output"], "wb").write(b"not really onnx")
with open(os.path.join(os.environ["BENCHGEN_CACHE_DIR"], "fake-ultralytics-calls"), "a") as calls:
    calls.write(request["config"] + "\\n")
print("BENCHGEN-FACTS " + os.environ["FAKE_FACTS"])
"""


def _fake_ultralytics(project: Project) -> None:
    venv = project.tmp / "uvenv"
    dist = venv / "lib" / "python3.11" / "site-packages" / "ultralytics-8.4.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: ultralytics\nVersion: 8.4.0\n")
    python = venv / "bin" / "python"
    python.parent.mkdir()
    python.write_text(FAKE_PYTHON.format(python=sys.executable))
    python.chmod(0o755)


FAKE_PROVIDER_ENV = {"BENCHGEN_ULTRALYTICS_PYTHON": "{tmp}/uvenv/bin/python", "FAKE_FACTS": '{"opset": 17'}


def _truncated_facts_cache(project: Project) -> None:
    """An export in the cache whose facts file was cut short (a full disk, a copy interrupted)."""
    from benchgen.measure.graph.provider_export import cached_export
    from benchgen.registry import load_registry

    _fake_ultralytics(project)
    family, variant = load_registry().variant("yolo11-n")
    onnx_path, facts_path = cached_export(family, variant, 0)
    onnx_path.parent.mkdir(parents=True)
    onnx_path.write_bytes(b"an earlier export")
    facts_path.write_text('{"provider": "ultralytics", "conf')


def _gfl_symbolic_bins(project: Project) -> None:
    """A gfl export with symbolic output shapes whose box maps disagree on the bin count (8 and 7)."""
    outputs = {"cls_8": np.zeros((1, 64, 80), np.float32), "reg_8": np.zeros((1, 64, 32), np.float32),
               "cls_16": np.zeros((1, 16, 80), np.float32), "reg_16": np.zeros((1, 16, 28), np.float32)}
    path = constant_onnx(project.tmp / "gfl.onnx", outputs, 64)
    import onnx

    model = onnx.load(str(path))
    for output in model.graph.output:
        for dim in output.type.tensor_type.shape.dim[1:]:
            dim.Clear()
            dim.dim_param = f"{output.name}_dim"
    onnx.save(model, str(path))
    five_line_registry(project.tmp / "gfl-registry", path, 64, decoder="gfl", decoder_options={"format": "nanodet"})
    build_synthetic_coco(project.tmp / "coco")


def _string_option(project: Project) -> None:
    rows = sum((32 // s) ** 2 for s in (8, 16, 32))
    path = constant_onnx(project.tmp / "opt.onnx", {"output": np.zeros((1, rows, 85), np.float32)}, 32)
    five_line_registry(project.tmp / "opt-registry", path, 32, decoder="yolox",
                       decoder_options={"score_threshold": "0.5"})


def _schema_1_result(kind: str, details: dict, status: str = "ok", metrics: dict | None = None):
    def setup(project: Project) -> None:
        doc = make_result("alpha-s", kind, metrics or {}, status="ok").model_dump(mode="json")
        doc.update(schema_version=1, status=status, details=details, metrics=metrics or {})
        doc.pop("timing", None)
        path = project.results / "cpu-test-2c" / "alpha-s" / kind / "20260101T000000000000Z.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc))
    return setup


CASES = [
    Case("registry-not-utf8", lambda p: ["render", *p.site()], ["alpha.yaml", "not UTF-8", "save the file as UTF-8"],
         setup=_bad_registry(lambda b: b.replace(b"name: Alpha", b"name: Alpha \xff\xfe"))),
    Case("registry-duplicate-key", lambda p: ["render", *p.site()],
         ["alpha.yaml", "key 'license' appears twice", "keep one"],
         setup=_bad_registry(lambda b: b.replace(b"license: Apache-2.0", b"license: MIT\nlicense: Apache-2.0"))),
    Case("image-header-100000px", lambda p: ["latency", "tiny-yolox", "--registry", str(p.tiny_registry),
                                             "--image", str(p.tmp / "huge.png"), "--budget", "0.2",
                                             "--results", str(p.results)],
         ["huge.png", "too large to decode", "10,000,000,000 pixels", "give another --image"],
         setup=lambda p: build_huge_png(p.tmp / "huge.png")),
    Case("budget-nan", lambda p: ["latency", "tiny-yolox", "--budget", "nan"], ["--budget", "finite number above 0"]),
    Case("budget-inf", lambda p: ["latency", "tiny-yolox", "--budget", "inf"], ["--budget", "finite number above 0"]),
    Case("refresh-latency-budget-nan", lambda p: ["refresh", *p.site(), "--latency-budget", "nan"],
         ["--latency-budget", "finite number above 0"]),
    Case("output-is-a-directory", lambda p: ["export", "damo-yolo-t", "--output", str(p.tmp)],
         ["--output", "is a directory", "give a file name"], no_export=True),
    Case("output-in-unwritable-dir", lambda p: ["export", "damo-yolo-t", "--output", str(UNWRITABLE / "m.onnx")],
         ["--output", "cannot write in /sys", "choose a directory you can write to"], no_export=True),
    Case("output-in-proc", lambda p: ["export", "damo-yolo-t", "--output", str(PROC / "m.onnx")],
         ["--output", "cannot write in /proc"], no_export=True),
    Case("output-is-proc", lambda p: ["export", "damo-yolo-t", "--output", str(PROC)],
         ["--output /proc", "is a directory"], no_export=True),
    Case("render-results-is-a-file", lambda p: ["render", *p.site()], ["--results", "is a file, not a directory"],
         setup=lambda p: p.results.write_text("not a directory")),
    Case("refresh-results-is-a-file", lambda p: ["refresh", *p.site(registry=p.tiny_registry)],
         ["--results", "is a file, not a directory"], setup=lambda p: p.results.write_text("x"), no_measure=True),
    Case("refresh-results-unwritable", lambda p: ["refresh", *p.site(registry=p.tiny_registry),
                                                  "--results", str(UNWRITABLE / "results")],
         ["--results", "cannot write in /sys"], no_measure=True),
    Case("refresh-docs-unwritable", lambda p: ["refresh", *p.site(registry=p.tiny_registry),
                                               "--docs", str(UNWRITABLE / "docs")],
         ["--docs", "cannot write in /sys"], no_measure=True),
    Case("measure-results-unwritable", lambda p: ["size", "tiny-yolox", "--registry", str(p.tiny_registry),
                                                  "--results", str(PROC / "results")],
         ["--results", "cannot write in /proc"]),
    Case("templates-missing", lambda p: ["render", *p.site(), "--templates", str(p.tmp / "no-templates")],
         ["--templates", "no-templates", "directory not found"]),
    Case("bad-machine-id-env", lambda p: ["size", "tiny-yolox", "--registry", str(p.tiny_registry),
                                          "--results", str(p.results)],
         ["BENCHGEN_MACHINE_ID='Not A Slug!'", "fix or unset it"], env={"BENCHGEN_MACHINE_ID": "Not A Slug!"}),
    Case("result-from-newer-benchgen", lambda p: ["render", *p.site()],
         ["20260101T000000000000Z.json", "written by a newer benchgen", "upgrade benchgen"], setup=_newer_result),
    Case("checkpoint-of-another-family", lambda p: ["export", "damo-yolo-t", "--weights",
                                                    str(p.tmp / "rtdetrv2_r18vd.pth"), "--output",
                                                    str(p.tmp / "out" / "damo.onnx")],
         ["rtdetrv2_r18vd.pth", "looks like a RT-DETRv2 checkpoint", "use it with a RT-DETRv2 variant"],
         setup=_other_family_checkpoint),
    # issue 23
    Case("render-into-users-folders", lambda p: ["render", *p.site()],
         ["--docs", "compare/notes.md (one of 2 such files) is not a file benchgen render wrote",
          "move your files out of those paths", "or render into another --docs directory"],
         setup=_users_files("compare/notes.md", "families/mine.md")),
    Case("render-users-file-beside-its-pages", lambda p: ["render", *p.site()],
         ["--docs", "families/mine.md is not a file benchgen render wrote", ".benchgen-generated.json"],
         setup=_users_files("families/mine.md", rendered_before=True)),
    Case("refresh-into-users-folders", lambda p: ["refresh", *p.site(registry=p.tiny_registry)],
         ["--docs", "families/mine.md is not a file benchgen render wrote"], setup=_users_files("families/mine.md"),
         no_measure=True),
    Case("render-users-home-page", lambda p: ["render", *p.site()],
         ["--docs", "index.md is not a file benchgen render wrote"], setup=_users_files("index.md")),
    Case("budget-1e9", lambda p: ["latency", "tiny-yolox", "--budget", "1e9"],
         ["--budget", "from 0.1 to 3600 seconds", "got '1e9'"]),
    Case("budget-too-small", lambda p: ["latency", "tiny-yolox", "--budget", "1e-9"], ["--budget", "from 0.1 to 3600"]),
    Case("refresh-latency-budget-1e9", lambda p: ["refresh", *p.site(), "--latency-budget", "1e9"],
         ["--latency-budget", "from 0.1 to 3600 seconds"], no_measure=True),
    Case("threads-beyond-cpus", lambda p: ["latency", "tiny-yolox", "--threads", "100000"],
         ["--threads", "must be from 1 to", "the CPUs this machine lets benchgen use"]),
    Case("eval-workers-1e6", lambda p: ["eval", "tiny-yolox", "--workers", "1000000"], ["--workers", "from 1 to 64"]),
    Case("eval-max-images-1e12", lambda p: ["eval", "tiny-yolox", "--max-images", "1000000000000"],
         ["--max-images", "from 1 to 10,000,000"]),
    Case("seed-beyond-64-bits", lambda p: ["export", "damo-yolo-t", "--seed", str(2**64), "--output",
                                           str(p.tmp / "out" / "damo.onnx")],
         ["--seed", "from 0 to 4,294,967,295"], no_export=True),
    Case("refresh-seed-negative", lambda p: ["refresh", *p.site(), "--seed", "-1"], ["--seed", "from 0 to"],
         no_measure=True),
    Case("registry-name-right-to-left-override", lambda p: ["render", *p.site()],
         ["alpha.yaml: name: contains U+202E (RIGHT-TO-LEFT OVERRIDE)", "remove it"],
         setup=_bad_registry(lambda b: b.replace(b"name: Alpha\n", "name: Al\u202epha\n".encode()))),
    Case("registry-variant-name-zero-width", lambda p: ["render", *p.site()],
         ["alpha.yaml: variants[0].name: contains U+200B (ZERO WIDTH SPACE)"],
         setup=_bad_registry(lambda b: b.replace(b"name: ALPHA-S", "name: ALPHA\u200b-S".encode()))),
    Case("onnx-one-channel-dynamic-batch", lambda p: ["eval", "grey-yolox", "--registry", str(p.tmp / "grey-registry"),
                                                      *_coco(p), "--results", str(p.results), "--no-progress"],
         ["grey.onnx", "takes 1 channel", "benchgen feeds 3-channel colour images", "export the model for 3-channel"],
         setup=_one_channel_model),
    Case("onnx-fixed-batch-8", lambda p: ["size", "batch-yolox", "--registry", str(p.tmp / "batch-registry"),
                                          "--results", str(p.results)],
         ["b8.onnx", "takes batches of 8", "export the model with batch 1 or a dynamic batch"], setup=_batch_8_model),
    Case("result-dated-2999", lambda p: ["render", *p.site()],
         ["29990101T000000000000Z.json: provenance.date: 2999-01-01 00:00 UTC is in the future",
          "re-run the measurement, or delete the file"], setup=_future_result),
    Case("result-unknown-top-level-key", lambda p: ["render", *p.site()],
         ["20260101T000000000000Z.json: extra_key: unknown key", "remove it or correct its spelling",
          "keys allowed here: cache_key, details"], setup=_result_with_unknown_key),
    Case("registry-unknown-key", lambda p: ["render", *p.site()],
         ["alpha.yaml: licence_typo: unknown key", "remove it or correct its spelling", "license"],
         setup=_bad_registry(lambda b: b + b"licence_typo: MIT\n")),
    # issue 30: a wrong figure recorded as a measurement
    Case("checkpoint-nan-weights", lambda p: ["export", "damo-yolo-t", "--weights", str(p.tmp / "nan.pth"),
                                              "--output", str(p.tmp / "out" / "damo.onnx")],
         ["nan.pth", "tensors hold NaN or infinite values", "download the official checkpoint again"],
         setup=_nan_checkpoint),
    Case("onnx-outputs-nan", lambda p: ["eval", "nan-yolox", "--registry", str(p.tmp / "nan-registry"), *_coco(p),
                                        "--results", str(p.results), "--no-progress"],
         ["nan.onnx: output 0 holds", "NaN or infinite values", "on image 000000001000.jpg", "nothing is measured"],
         setup=_nan_output_model),
    Case("image-size-not-its-annotation", lambda p: ["eval", "tiny-yolox", "--registry", str(p.tiny_registry),
                                                     *_coco(p), "--results", str(p.results), "--no-progress"],
         ["000000001007.jpg: is", "instances_val2017.json gives image id 1007 width", "correct its width and height"],
         setup=_resized_image),
    # silent fallbacks
    Case("refresh-weights-dir-missing", lambda p: ["refresh", *p.site(), "--dry-run", "--weights-dir",
                                                   str(p.tmp / "no-weights")],
         ["--weights-dir", "no-weights: directory not found"], no_measure=True),
    Case("refresh-images-missing", lambda p: ["refresh", *p.site(), "--dry-run", "--images", str(p.tmp / "no-images")],
         ["--images", "no-images: directory not found"], no_measure=True),
    Case("refresh-images-without-their-annotations", lambda p: ["refresh", *p.site(), "--dry-run", "--images",
                                                                str(p.tmp / "lonely")],
         ["lonely: found no annotation file for these images", "pass --annotations FILE"],
         setup=lambda p: (p.tmp / "lonely").mkdir(), no_measure=True),
    Case("refresh-weights-dir-two-candidates", lambda p: ["refresh", *p.site(), "--dry-run", "--only", "damo-yolo-t",
                                                          "--weights-dir", str(p.tmp / "weights")],
         ["--weights-dir", "2 files match damoyolo_tinynasL20_T*.pth for damo-yolo-t",
          "damoyolo_tinynasL20_T.pth, damoyolo_tinynasL20_T.pth.part.pth", "keep only the complete checkpoint"],
         setup=_two_checkpoints, no_measure=True),
    # a user's files overwritten
    Case("docs-lock-is-a-symlink", lambda p: ["render", *p.site()],
         [".benchgen.lock: is a symbolic link, not a lock file benchgen made", "move it out of"],
         setup=_lock_link(lambda p: p.docs)),
    Case("results-lock-is-a-symlink", lambda p: ["refresh", *p.site(registry=p.tiny_registry)],
         ["results/.benchgen.lock: is a symbolic link"], setup=_lock_link(lambda p: p.results), no_measure=True),
    Case("docs-lock-is-a-users-file", lambda p: ["render", *p.site()],
         ["docs/.benchgen.lock: holds text other than a benchgen holder line", "move it out of"],
         setup=_users_lock_file),
    Case("compare-page-slug-collision", lambda p: ["render", *p.site()],
         ["z.yaml: families x and y-vs-z would get the compare page compare/x-vs-y-vs-z.md",
          "already that of x-vs-y and z", "rename one family id"], setup=_colliding_slugs),
    # tracebacks instead of one line
    Case("provider-facts-line-not-json", lambda p: ["export", "yolo11-n", "--output", str(p.tmp / "out" / "y.onnx")],
         ["ultralytics export of yolo11n.yaml", "facts line", "is not valid JSON",
          "scripts/bootstrap.sh --ultralytics"],
         env=FAKE_PROVIDER_ENV, setup=_fake_ultralytics),
    Case("gfl-symbolic-shapes-bins-disagree", lambda p: ["eval", "mine-a", "--registry", str(p.tmp / "gfl-registry"),
                                                         *_coco(p), "--results", str(p.results), "--no-progress"],
         ["gfl.onnx: decoder 'gfl'", "disagree on the bin count ([7, 8])", "export the model with fixed output shapes"],
         setup=_gfl_symbolic_bins),
    Case("decoder-option-string-for-a-number", lambda p: ["size", "mine-a", "--registry", str(p.tmp / "opt-registry"),
                                                          "--results", str(p.results)],
         ["mine.yaml: decoder_options of variant mine-a", "score_threshold of decoder 'yolox' takes a finite number",
          "not str '0.5'"], setup=_string_option),
    Case("schema-1-details-string-for-an-object", lambda p: ["render", *p.site()],
         ["20260101T000000000000Z.json: details.contention: input should be a valid dictionary"],
         setup=_schema_1_result("size", {"contention": "busy"}, status="unstable")),
    Case("schema-1-timing-statistics-a-string", lambda p: ["render", *p.site()],
         ["20260101T000000000000Z.json", "details.network: a schema-1 latency-cpu result keeps its timing statistics "
          "here as an object, not str"],
         setup=_schema_1_result("latency-cpu", {"network": "fast"}, metrics={"latency_cpu_ms": 3.0})),
]


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCHGEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("BENCHGEN_MACHINE_ID", raising=False)
    current_machine.cache_clear()
    tiny = build_tiny_yolox_onnx(tmp_path / "tiny.onnx")
    yield Project(tmp_path, write_registry(tmp_path / "registry", two_family_docs()),
                  write_tiny_registry(tmp_path / "tiny-registry", tiny), tmp_path / "results", tmp_path / "docs",
                  monkeypatch)
    current_machine.cache_clear()
    from benchgen.decoders import get_decoder

    get_decoder.cache_clear()
    for name in [m for m in sys.modules if m.startswith("raising_benchgen_plugin")]:
        del sys.modules[name]


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and "cache" not in p.relative_to(root).parts}


def _run(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:  # argparse rejects the value itself
        return int(exc.code)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(case, project, monkeypatch, capsys):
    for name, value in case.env.items():
        monkeypatch.setenv(name, value.replace("{tmp}", str(project.tmp)))
    case.setup(project)
    docs_existed = project.docs.exists()
    if case.no_export:
        import benchgen.models.damoyolo as damoyolo
        monkeypatch.setattr(damoyolo, "export_onnx", lambda *a, **k: pytest.fail("exported before checking"))
    if case.no_measure:
        monkeypatch.setattr("benchgen.cli.refresh.execute", lambda *a, **k: pytest.fail("measured before checking"))
    before = _snapshot(project.tmp)

    code = _run(case.argv(project))

    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith(("benchgen: error: ", "benchgen ")), err  # ours, or argparse's "benchgen x: error:"
    if last.startswith("benchgen: error: "):  # ours: no continuation lines, no validation library's text
        assert "pydantic" not in err and not any(line.startswith(" ") for line in err.splitlines()), err
    for fragment in case.message:
        assert fragment in last, f"{fragment!r} not in {last!r}"
    assert _snapshot(project.tmp) == before, "a failed command changed files"
    assert project.docs.exists() == docs_existed and not (project.tmp / "out").exists()


# issue 30: faults handled in the user's stead, each with the outcome it must have


@dataclass
class Handled:
    id: str
    argv: Callable[[Project], list[str]] | None  # None: `check` runs what it checks
    check: Callable[[Project, int, str], None]  # (project, exit code, stderr)
    setup: Callable[[Project], None] = lambda p: None
    env: dict[str, str] = field(default_factory=dict)


def _dead_render(project: Project) -> None:
    """What a render SIGKILLed while staging leaves: a staging folder of partial pages."""
    staging = project.docs / ".render-k1ll3d_x"
    (staging / "compare").mkdir(parents=True)
    for index in range(300):
        (staging / "compare" / f"page-{index}.md").write_text("# half a page")


def _no_staging_left(project: Project, code: int, err: str) -> None:
    assert code == 0, err
    assert not [p.name for p in project.docs.iterdir() if p.name.startswith(".render-")]
    assert (project.docs / "index.md").is_file()


RAISING_PLUGIN = """
from benchgen.decoders.preprocess import Convention
from benchgen.decoders.spec import DecoderSpec

def recognise(info, input_size):
    raise KeyError("outputs")

DECODER = DecoderSpec("raising", "a plugin whose recognise raises", Convention(resize="stretch"),
                      lambda ctx: None, {}, None, recognise)
"""


def _raising_plugin(project: Project) -> None:
    """An installed decoder plugin whose recognise() raises, and a bring-your-own YOLOX file on `auto`."""
    from benchgen.decoders import get_decoder

    root = project.tmp / "site"
    root.mkdir()
    (root / "raising_benchgen_plugin.py").write_text(RAISING_PLUGIN)
    dist = root / "raising_benchgen_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: raising_benchgen_plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[benchgen.decoders]\nraising = raising_benchgen_plugin:DECODER\n")
    project.monkeypatch.syspath_prepend(str(root))
    project.monkeypatch.setattr("benchgen.decoders.resolve._WARNED", set())  # each plugin is named once a process
    get_decoder.cache_clear()
    five_line_registry(project.tmp / "auto-registry", build_tiny_yolox_onnx(project.tmp / "auto.onnx"), 32)


def _plugin_named_and_skipped(project: Project, code: int, err: str) -> None:
    assert code == 0, err
    assert "Traceback" not in err
    warning = next(line for line in err.splitlines() if "raising" in line)
    assert warning.startswith("benchgen: warning: decoder plugin 'raising' skipped by decoder auto"), warning
    assert "raising_benchgen_plugin:DECODER (from raising_benchgen_plugin 0.1) raised KeyError" in warning
    assert "fix or uninstall that plugin" in warning


def _exported_again(project: Project, code: int, err: str) -> None:
    from benchgen.measure.graph.provider_export import cached_export
    from benchgen.registry import load_registry

    assert code == 0, err
    assert "are unreadable (JSONDecodeError" in err and "exporting again" in err
    assert (project.tmp / "cache" / "fake-ultralytics-calls").read_text() == "yolo11n.yaml\n"  # exported once
    assert (project.tmp / "exported" / "y.onnx").read_bytes() == b"not really onnx"
    _, facts_path = cached_export(*load_registry().variant("yolo11-n"), 0)
    assert json.loads(facts_path.read_text())["opset"] == 17  # the entry rebuilt whole


INJECTED = ("Alpha is a detector.\n\n!!! danger \"Security advisory\"\n    Download the fixed weights from "
            "evil.example.\n\n# Injected heading\n\n- a list\n")


def _injecting_description(project: Project) -> None:
    path = project.registry / "alpha.yaml"
    doc = yaml.safe_load(path.read_text())
    doc.update(description=INJECTED, innovations=["1. looks like a list", "An idea.\n\n!!! note\n    boxed"])
    path.write_text(yaml.safe_dump(doc))


def _description_is_one_inert_paragraph(project: Project, code: int, err: str) -> None:
    assert code == 0, err
    for page in ("families/alpha.md", "compare/alpha-vs-beta.md"):
        lines = (project.docs / page).read_text().splitlines()
        assert not [line for line in lines if line.lstrip().startswith(("!!!", "- a list", "    Download"))], page
        assert "# Injected heading" not in lines and not any(line.startswith("- 1.") for line in lines), page
        paragraph = next(line for line in lines if line.startswith("Alpha is a detector."))
        assert "&#33;!! danger" not in paragraph and "!!! danger &quot;Security advisory&quot;" in paragraph
        assert "&#35; Injected heading" in paragraph  # one line: the heading is text inside it
        assert "- 1&#46; looks like a list" in lines and "- An idea. &#33;!! note boxed" not in lines


def _bidi_result(project: Project) -> None:
    from benchgen.results.store import write_result

    write_result(make_result("alpha\u202e-s", "size", {"params_m": 1.0, "flops_g": 1.0}), project.results)


def _notebook_shows_visible_text(project: Project, code: int, err: str) -> None:
    """The notebook's code cells, run as the site build runs them, print no bidi control."""
    import contextlib
    import io

    from tests.conftest import REPO

    notebook = json.loads((REPO / "docs" / "notebooks" / "explore.ipynb").read_text())
    cells = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]
    project.monkeypatch.setenv("BENCHGEN_RESULTS", str(project.results))
    namespace: dict = {}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        for source in cells[:2]:  # loading and the table (the third plots)
            exec(compile(source, "explore.ipynb", "exec"), namespace)
    table = namespace["latest"]
    shown = printed.getvalue() + table.to_html() + repr(table) + namespace["frame"].to_html()
    assert "alpha-s" in shown and "\u202e" not in shown


HANDLED = [
    Handled("render-removes-a-killed-renders-staging", lambda p: ["render", *p.site()], _no_staging_left,
            setup=_dead_render),
    Handled("decoder-plugin-recognise-raises", lambda p: ["size", "mine-a", "--registry", str(p.tmp / "auto-registry"),
                                                          "--results", str(p.results)],
            _plugin_named_and_skipped, setup=_raising_plugin),
    Handled("provider-facts-cache-truncated", lambda p: ["export", "yolo11-n", "--output",
                                                         str(p.tmp / "exported" / "y.onnx")],
            _exported_again, setup=_truncated_facts_cache,
            env={**FAKE_PROVIDER_ENV, "FAKE_FACTS": '{"opset": 17}'}),
    Handled("family-description-injects-markdown-blocks", lambda p: ["render", *p.site()],
            _description_is_one_inert_paragraph, setup=_injecting_description),
    Handled("notebook-table-bidi-variant-id", None, _notebook_shows_visible_text, setup=_bidi_result),
]


@pytest.mark.parametrize("case", HANDLED, ids=lambda c: c.id)
def test_fault_is_handled_with_its_outcome(case, project, monkeypatch, capsys):
    for name, value in case.env.items():
        monkeypatch.setenv(name, value.replace("{tmp}", str(project.tmp)))
    case.setup(project)
    code = _run(case.argv(project)) if case.argv else 0
    case.check(project, code, capsys.readouterr().err)
