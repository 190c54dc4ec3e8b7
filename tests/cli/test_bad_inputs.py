"""Every bad input a user can give ends in exit code 2 and one line naming what is at fault, with
nothing partial written and no expensive work started. One row per case of issues 12 and 23."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest
import torch

from benchgen.cli import main
from benchgen.results.provenance import current_machine
from benchgen.results.schema import SCHEMA_VERSION
from tests.conftest import make_result, two_family_docs, write_registry
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
]


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCHGEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("BENCHGEN_MACHINE_ID", raising=False)
    current_machine.cache_clear()
    tiny = build_tiny_yolox_onnx(tmp_path / "tiny.onnx")
    yield Project(tmp_path, write_registry(tmp_path / "registry", two_family_docs()),
                  write_tiny_registry(tmp_path / "tiny-registry", tiny), tmp_path / "results", tmp_path / "docs")
    current_machine.cache_clear()


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
        monkeypatch.setenv(name, value)
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
