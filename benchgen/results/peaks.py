"""Each machine's measured FP32 peak (`benchgen peak --save`), beside its results.

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


def load_peaks(results_dir: Path) -> dict[str, float]:
    """machine id -> the probe's best GFLOP/s (all threads, or one where that was faster: on a
    2-vCPU guest the two may be hyper-threads of one core), for every machine that saved one. A file
    that does not read as a peak is skipped (the pages then show no share for that machine)."""
    peaks: dict[str, float] = {}
    root = Path(results_dir)
    for path in sorted(root.glob(f"*/{FILE_NAME}")) if root.is_dir() else []:
        try:
            data = yaml.safe_load(path.read_text())
            value = max(float(data[probe]["best_gflops"]) for probe in ("all_threads", "single_thread") if probe in data)
        except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError):
            continue
        if value > 0:
            peaks[path.parent.name] = value
    return peaks
