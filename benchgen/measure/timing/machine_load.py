"""How much of the machine a timing window actually had, from the kernel's CPU accounting.

A latency measured while other processes compete for the cores is a measurement of the machine's
load, not of the model. The kernel already counts who used the CPUs: the system-wide busy time
(psutil.cpu_times, i.e. /proc/stat) minus this process's own CPU time is what every *other* process
used during the window, in core-seconds. Steal time is what the hypervisor gave to other guests; it
is invisible to the process table but slows the run all the same. The load average is kept as
context only: it is a minute-long moving average and lags any window shorter than that.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass
from typing import Protocol

import psutil

from benchgen.results.provenance import usable_cpu_count


@dataclass(frozen=True)
class LoadSnapshot:
    """Cumulative counters at one instant (seconds of CPU time, summed over all cores)."""

    wall_s: float
    system_busy_s: float  # user + nice + system + irq + softirq of every process on the machine
    steal_s: float
    own_cpu_s: float  # this process, all its threads
    load_1min: float | None = None


@dataclass(frozen=True)
class LoadWindow:
    """What happened on the machine between two snapshots."""

    wall_s: float
    cpus: int
    others_cores: float  # average number of cores other processes kept busy
    steal_share: float  # share of the machine's capacity taken by the hypervisor
    own_cores: float  # average number of cores this process used
    load_1min: float | None = None

    @property
    def others_share(self) -> float:
        return self.others_cores / self.cpus if self.cpus else 0.0

    def as_dict(self) -> dict[str, float | int | None]:
        data = asdict(self)
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in data.items()}


class LoadMonitor(Protocol):
    cpus: int

    def snapshot(self) -> LoadSnapshot:
        ...


class SystemLoadMonitor:
    """The real counters of this machine."""

    def __init__(self) -> None:
        self.cpus = usable_cpu_count()
        self._process = psutil.Process(os.getpid())

    def snapshot(self) -> LoadSnapshot:
        cpu = psutil.cpu_times()
        busy = sum(getattr(cpu, name, 0.0) for name in ("user", "nice", "system", "irq", "softirq"))
        own = self._process.cpu_times()
        try:
            load = os.getloadavg()[0]
        except OSError:
            load = None
        return LoadSnapshot(wall_s=time.monotonic(), system_busy_s=busy, steal_s=getattr(cpu, "steal", 0.0),
                            own_cpu_s=own.user + own.system, load_1min=load)


def window(before: LoadSnapshot, after: LoadSnapshot, cpus: int) -> LoadWindow:
    """Averages over the window. The system counters tick at 100 Hz per core, so a window of a few
    hundred milliseconds is already resolved to a few percent of a core."""
    wall = max(after.wall_s - before.wall_s, 1e-9)
    own = max(after.own_cpu_s - before.own_cpu_s, 0.0)
    others = max(after.system_busy_s - before.system_busy_s - own, 0.0)
    steal = max(after.steal_s - before.steal_s, 0.0)
    return LoadWindow(wall_s=wall, cpus=cpus, others_cores=others / wall, steal_share=steal / wall / max(cpus, 1),
                      own_cores=own / wall, load_1min=after.load_1min)


def sample_window(monitor: LoadMonitor, seconds: float) -> LoadWindow:
    """Watch the machine for `seconds` while this process sleeps."""
    before = monitor.snapshot()
    time.sleep(seconds)
    return window(before, monitor.snapshot(), monitor.cpus)


def default_monitor() -> LoadMonitor:
    """The monitor measurements use unless given one; tests replace it with recorded counters."""
    return SystemLoadMonitor()
