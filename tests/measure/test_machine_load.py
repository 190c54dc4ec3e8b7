"""Window arithmetic on the kernel's counters, and the real monitor's counters on this machine."""

from __future__ import annotations

from benchgen.measure.timing.machine_load import LoadSnapshot, SystemLoadMonitor, window


def test_others_are_the_system_busy_time_minus_our_own():
    before = LoadSnapshot(wall_s=10.0, system_busy_s=100.0, steal_s=1.0, own_cpu_s=5.0)
    after = LoadSnapshot(wall_s=12.0, system_busy_s=106.0, steal_s=1.2, own_cpu_s=8.0)
    w = window(before, after, cpus=2)
    assert w.own_cores == 1.5  # 3 s of CPU in 2 s
    assert w.others_cores == 1.5  # 6 s busy, 3 of them ours
    assert w.others_share == 0.75
    assert abs(w.steal_share - 0.05) < 1e-12  # 0.2 s of 2 cores x 2 s


def test_counter_jitter_never_goes_negative():
    before = LoadSnapshot(wall_s=0.0, system_busy_s=10.0, steal_s=0.0, own_cpu_s=1.0)
    after = LoadSnapshot(wall_s=1.0, system_busy_s=10.0, steal_s=0.0, own_cpu_s=1.01)
    assert window(before, after, cpus=2).others_cores == 0.0


def test_the_system_monitor_reads_growing_counters():
    monitor = SystemLoadMonitor()
    first = monitor.snapshot()
    sum(i * i for i in range(200_000))  # some CPU time of our own
    second = monitor.snapshot()
    assert monitor.cpus >= 1
    assert second.wall_s > first.wall_s and second.own_cpu_s >= first.own_cpu_s
    assert second.system_busy_s >= first.system_busy_s and second.steal_s >= first.steal_s
