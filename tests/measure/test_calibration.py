"""The calibration probe is the same graph everywhere and runs in well under a second."""

from __future__ import annotations

import hashlib

from benchgen.measure.calibration import CalibrationProbe, drift, probe_model


def test_the_probe_graph_is_deterministic():
    assert hashlib.sha256(probe_model()).hexdigest() == hashlib.sha256(probe_model()).hexdigest()


def test_the_real_probe_times_something():
    timing = CalibrationProbe(threads=1).time(runs=3, warm_s=0.05)
    assert timing.runs == 3 and timing.median_ms > 0


def test_drift_is_relative():
    assert abs(drift(10.0, 12.0) - 0.2) < 1e-12
    assert drift(0.0, 1.0) == 0.0
