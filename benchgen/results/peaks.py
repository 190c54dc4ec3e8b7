"""Each machine's measured FP32 and INT8 peaks (`benchgen peak --save`), beside its results.

Stored as `results/<machine>/cpu-peak.yaml`: one small file per machine, outside the
`<machine>/<variant>/<kind>/*.json` tree that holds measurements, so result loaders never see it.
The pages divide a latency's achieved GFLOP/s by it (benchgen.render.achieved).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from benchgen.results.store import atomic_write_text

FILE_NAME = "cpu-peak.yaml"


def peak_path(results_dir: Path, machine_id: str) -> Path:
    return Path(results_dir) / machine_id / FILE_NAME


def save_peak(results_dir: Path, machine_id: str, peak: dict[str, Any]) -> Path:
    path = peak_path(results_dir, machine_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, yaml.safe_dump(peak, sort_keys=False))
    return path


def _best(block: Any) -> float:
    """The probe's best rate: all threads, or one where that was faster (on a 2-vCPU guest the two
    may be hyper-threads of one core)."""
    return max(float(block[probe]["best_gflops"]) for probe in ("all_threads", "single_thread") if probe in block)


def load_peaks(results_dir: Path) -> dict[str, dict[str, float]]:
    """machine id -> {"fp32": GFLOP/s, "int8": GOP/s where its file has the INT8 probe}, for every
    machine that saved one. A file that does not read as a peak is skipped (the pages then show no
    share for that machine)."""
    peaks: dict[str, dict[str, float]] = {}
    root = Path(results_dir)
    for path in sorted(root.glob(f"*/{FILE_NAME}")) if root.is_dir() else []:
        try:
            data = yaml.safe_load(path.read_text())
            found = {"fp32": _best(data)}
        except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError):
            continue
        try:
            found["int8"] = _best(data["int8"])
        except (KeyError, TypeError, ValueError):
            pass  # a peak saved before the INT8 probe (version 1): no INT8 share
        found = {k: v for k, v in found.items() if v > 0}
        if "fp32" in found:
            peaks[path.parent.name] = found
    return peaks
