"""Shared test helpers: crafted registries and results, so tests never depend on real numbers."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pytest
import yaml

from benchgen.registry import load_registry
from benchgen.results.schema import Machine, Provenance, Result

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(autouse=True)
def machine_state(tmp_path_factory, monkeypatch):
    """Tests never write the user's machine identity (~/.local/state/benchgen)."""
    monkeypatch.setenv("BENCHGEN_STATE_DIR", str(tmp_path_factory.getbasetemp() / "state"))


@pytest.fixture(autouse=True)
def quiet_machine(monkeypatch):
    """Latency code in tests sees a quiet machine and looks at it for a moment only.

    The test suite itself loads the machine, so the real monitor would (rightly) call every timing
    contended, and the real calibration probe would drift with that load: both are replaced by
    recorded ones (the speed-up reference too). Tests that check the contention logic pass their own
    monitor, probe, reference and rule;
    tests/measure/test_calibration.py runs the real probe.
    """
    from benchgen.measure.timing import calibration, contention, machine_load, rounds
    from tests.load_monitors import FixedProbe, QuietMonitor, ScriptedReference

    monkeypatch.setattr(rounds, "REWARM_S", 0.0)  # a second of untimed runs per slot is for real timings
    monkeypatch.setattr(machine_load, "default_monitor", QuietMonitor)
    monkeypatch.setattr(calibration, "make_probe", lambda threads=None: FixedProbe())
    monkeypatch.setattr(calibration, "make_reference", lambda threads=None: ScriptedReference())
    # the rounds of a 10 µs test model spread widely beside the test suite: that check is tested on
    # recorded round medians (tests/measure/test_contention.py), not on these timings
    monkeypatch.setattr(contention, "RULE", contention.ContentionRule(poll_s=0.01, max_wait_s=0.1,
                                                                            max_round_spread=float("inf")))

SOURCE = "https://example.org/paper"


def reported(value, **extra):
    return [{"value": value, "source": SOURCE, "source_name": "Paper", "official": True, **extra}]


def family_doc(fid: str, name: str, variants: list[dict], **extra) -> dict:
    doc = {
        "id": fid, "name": name, "authors": ["A. Author"], "organization": "Org", "date": "2024-01-01",
        "arxiv": "https://arxiv.org/abs/2401.00001", "github": f"https://github.com/example/{fid}",
        "license": "Apache-2.0", "implementation": "damo-yolo", "description": f"{name} is a detector.",
        "innovations": ["An idea."], "use_cases": ["Somewhere."], "variants": variants,
    }
    doc.update(extra)
    return doc


def variant_doc(vid: str, scale: str, ap: float, trt: float, params: float, flops: float = 10.0) -> dict:
    return {"id": vid, "name": vid.upper(), "scale": scale, "input_size": 640,
            "reported": {"map50_95": reported(ap), "latency_trt_ms": reported(trt, hardware="NVIDIA T4"),
                         "params_m": reported(params), "flops_g": reported(flops)}}


def two_family_docs() -> list[dict]:
    """Family A is faster, family B more accurate at every tier."""
    return [
        family_doc("alpha", "Alpha", [variant_doc("alpha-s", "s", 40.0, 2.0, 10.0),
                                      variant_doc("alpha-m", "m", 45.0, 3.0, 20.0),
                                      variant_doc("alpha-l", "l", 48.0, 5.0, 40.0)]),
        family_doc("beta", "Beta", [variant_doc("beta-s", "s", 43.0, 4.0, 12.0),
                                    variant_doc("beta-m", "m", 47.0, 6.0, 25.0),
                                    variant_doc("beta-l", "l", 50.0, 9.0, 50.0)]),
    ]


def write_registry(directory: Path, docs: list[dict]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for doc in docs:
        (directory / f"{doc['id']}.yaml").write_text(yaml.safe_dump(copy.deepcopy(doc), sort_keys=False))
    return directory


@pytest.fixture
def make_registry(tmp_path):
    def make(docs=None):
        return load_registry(write_registry(tmp_path / "registry", docs or two_family_docs()))
    return make


MACHINE = Machine(id="cpu-test-2c", label="Test CPU (2 cores)", cpu="Test CPU", cpu_count=2, os="Linux",
                  python="3.11")


def make_result(variant: str, kind: str, metrics: dict, *, when: dt.datetime | None = None,
                machine: Machine = MACHINE, status: str = "ok", error: str | None = None,
                settings: dict | None = None) -> Result:
    return Result(
        variant=variant, kind=kind, status=status, metrics=metrics if status == "ok" else {}, error=error,
        settings=settings or {"backend": "ort-cpu"},
        provenance=Provenance(benchgen_version="0.1.0", git_commit="abc123", git_dirty=False,
                              libraries={"onnxruntime": "1.0"}, machine=machine,
                              date=when or dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)),
    )


def make_timing(median: float, low: float | None = None, high: float | None = None, samples=(), rounds=(),
                probe_ms: float | None = None, probe_version: int = 1, runs: int | None = None):
    """A result's timing block (schema 2) with only what a test cares about given."""
    from benchgen.results.schema import Calibration, Timing

    samples = [float(s) for s in samples]
    stats = {"runs": runs or max(len(samples), 1), "median": median, "p90": median, "mean": median, "std": 0.0,
             "min": min(samples, default=median), "max": max(samples, default=median),
             "ci_low": median if low is None else low, "ci_high": median if high is None else high,
             "confidence": 0.95}
    calibration = None if probe_ms is None else Calibration(
        probe_version=probe_version, probe=f"probe v{probe_version}", median_ms=probe_ms, before_ms=probe_ms,
        after_ms=probe_ms, drift=0.0, per_round_ms=[probe_ms])
    return Timing(stats=stats, samples=samples, round_medians_ms=list(rounds), calibration=calibration)
