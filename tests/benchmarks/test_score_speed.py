"""benchmarks/score_speed.py on a tiny set: it runs, builds what it says, and the engines agree (no timing)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections import Counter

from tests.conftest import REPO

SCRIPT = REPO / "benchmarks" / "score_speed.py"


def _module():
    spec = importlib.util.spec_from_file_location("score_speed", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_synthetic_set_is_val2017_like_and_fixed_by_its_seed():
    build = _module().build
    gt, detections = build(200, 100, seed=0)
    assert 6 < len(gt["annotations"]) / len(gt["images"]) < 8
    assert set(Counter(d["image_id"] for d in detections).values()) == {100}
    assert len({a["category_id"] for a in gt["annotations"]}) == 80
    areas = [a["area"] for a in gt["annotations"]]
    assert min(areas) < 32 ** 2 and max(areas) > 96 ** 2 and any(a["iscrowd"] for a in gt["annotations"])
    assert build(20, 100, seed=0) == build(20, 100, seed=0) != build(20, 100, seed=1)


def test_it_runs_both_engines_and_they_agree():
    run = subprocess.run([sys.executable, str(SCRIPT), "--images", "30", "--per-image", "20", "--oracle"],
                         capture_output=True, text=True, cwd=REPO, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "faster-coco-eval:" in run.stdout and "pycocotools:" in run.stdout and "peak RSS" in run.stdout
    assert float(run.stdout.split("over the 12 numbers:")[1].split()[0]) <= 1e-6
