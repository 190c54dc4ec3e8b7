"""Every bad input a user can give ends in exit code 2 and one line naming what is at fault, with
nothing partial written and no expensive work started. One row per case of issue 12."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest
import torch

from benchgen.cli import main
from benchgen.results.provenance import current_machine
from tests.conftest import make_result, two_family_docs, write_registry
from tests.measure.builders import build_huge_png, build_tiny_yolox_onnx, write_tiny_registry

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
    _result_file(project, "20260101T000000000000Z.json", json.dumps({**doc, "schema_version": 2}))


def _other_family_checkpoint(project: Project) -> None:
    # the official RT-DETRv2 training layout: the state dict under ema -> module
    state = {"backbone.conv1.weight": torch.zeros(1), "encoder.proj.weight": torch.zeros(1),
             "decoder.head.weight": torch.zeros(1)}
    torch.save({"ema": {"module": state, "updates": 100}, "last_epoch": 71}, project.tmp / "rtdetrv2_r18vd.pth")


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
    for fragment in case.message:
        assert fragment in last, f"{fragment!r} not in {last!r}"
    assert _snapshot(project.tmp) == before, "a failed command changed files"
    assert not project.docs.exists() and not (project.tmp / "out").exists()
