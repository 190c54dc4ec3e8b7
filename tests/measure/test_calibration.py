"""The calibration probe is the same graph everywhere and runs in well under a second."""

from __future__ import annotations

import hashlib

from benchgen.measure.timing.calibration import CalibrationProbe, drift, probe_model


def test_the_probe_graph_is_deterministic():
    assert hashlib.sha256(probe_model()).hexdigest() == hashlib.sha256(probe_model()).hexdigest()


def test_the_real_probe_times_something():
    timing = CalibrationProbe(threads=1).time(runs=3, warm_s=0.05)
    assert timing.runs == 3 and timing.median_ms > 0


def test_drift_is_relative():
    assert abs(drift(10.0, 12.0) - 0.2) < 1e-12
    assert drift(0.0, 1.0) == 0.0


def test_the_speedup_reference_times_both_sessions():
    """The real reference (conftest replaces it elsewhere): two sessions of the probe's graph, read cheaply."""
    from benchgen.measure.timing.calibration import SpeedupReference, normal_reading

    reference = SpeedupReference(threads=2)
    readings = [reference.read(runs=2) for _ in range(3)]
    assert all(r.multi_ms > 0 and r.single_ms > 0 and r.speedup == r.single_ms / r.multi_ms for r in readings)
    normal = normal_reading(readings)
    assert min(r.multi_ms for r in readings) <= normal.multi_ms <= max(r.multi_ms for r in readings)
    assert set(readings[0].as_dict()) == {"multi_ms", "single_ms", "speedup"}
