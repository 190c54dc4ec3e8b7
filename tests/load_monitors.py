"""Load monitors with recorded counters, so the contention logic is tested without timing anything real.

A scripted monitor plays back one "other processes" level per window: every pair of snapshots
(before, after) is one window, and the counters between them advance as if other processes had
kept `level` cores busy for the window's real wall time.
"""

from __future__ import annotations

import time

from benchgen.measure.timing.calibration import ProbeTiming, ReferenceReading
from benchgen.measure.timing.machine_load import LoadSnapshot


class ScriptedMonitor:
    def __init__(self, levels: list[float], cpus: int = 2, steal: list[float] | None = None) -> None:
        self.levels, self.steal, self.cpus = list(levels), list(steal or []), cpus
        self.calls = 0
        self.busy = self.stolen = 0.0
        self.last = time.monotonic()

    def _level(self, series: list[float]) -> float:
        window = (self.calls - 1) // 2  # snapshots 1-2 are window 0, 3-4 window 1, ...
        return series[min(window, len(series) - 1)] if series else 0.0

    def snapshot(self) -> LoadSnapshot:
        self.calls += 1
        now = time.monotonic()
        elapsed, self.last = now - self.last, now
        if self.calls % 2 == 0:  # the end of a window: the counters moved during it
            self.busy += self._level(self.levels) * elapsed
            self.stolen += self._level(self.steal) * elapsed * self.cpus
        return LoadSnapshot(wall_s=now, system_busy_s=self.busy, steal_s=self.stolen, own_cpu_s=0.0, load_1min=0.1)


class QuietMonitor(ScriptedMonitor):
    """A machine nobody else uses."""

    def __init__(self, cpus: int = 2) -> None:
        super().__init__([0.0], cpus)


class FixedProbe:
    """A calibration probe whose timings are played back (the last one repeats)."""

    def __init__(self, medians: list[float] | None = None) -> None:
        self.medians = list(medians or [5.0])
        self.calls = 0

    def time(self, runs: int = 25) -> ProbeTiming:
        value = self.medians[min(self.calls, len(self.medians) - 1)]
        self.calls += 1
        return ProbeTiming(median_ms=value, runs=runs)


class ScriptedReference:
    """A speed-up reference whose readings are played back as (multi-thread ms, single-thread ms); the
    last repeats. The default is a steady 2-core machine: 6 ms with two threads, 11 ms with one."""

    def __init__(self, trace: list[tuple[float, float]] | None = None) -> None:
        self.trace = list(trace or [(6.0, 11.0)])
        self.calls = 0

    def read(self, runs: int = 3) -> ReferenceReading:
        multi, single = self.trace[min(self.calls, len(self.trace) - 1)]
        self.calls += 1
        return ReferenceReading(multi_ms=multi, single_ms=single)
