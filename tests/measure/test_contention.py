"""The contention rule on windows recorded on this project's 2-core machine (idle, and with two
CPU-bound processes beside `benchgen latency damo-yolo-t`), and on borderline values."""

from __future__ import annotations

import pytest

from benchgen.measure.timing.contention import ContentionRule, judge_probe, judge_window
from benchgen.measure.timing.machine_load import LoadWindow


def recorded(others: float, steal: float = 0.0, cpus: int = 2) -> LoadWindow:
    return LoadWindow(wall_s=0.5, cpus=cpus, others_cores=others, steal_share=steal, own_cores=1.95)


@pytest.mark.parametrize("window, busy", [
    (recorded(0.0596), False),  # idle: shell, editor and kernel threads
    (recorded(0.0), False),
    (recorded(1.35), True),  # two hogs, round 1 of the recorded damo-yolo-t run
    (recorded(1.55), True),
    (recorded(0.20), False),  # exactly 10 % of 2 cores: at the limit, not over it
    (recorded(0.21), True),
    (recorded(0.0, steal=0.05), False),
    (recorded(0.0, steal=0.06), True),  # a noisy neighbour on the hypervisor, invisible to ps
    (recorded(1.0, cpus=16), False),  # one busy core of 16 is 6 %
])
def test_window_verdicts(window, busy):
    verdict = judge_window(window)
    assert verdict.busy is busy
    assert bool(verdict.reasons) is busy


def test_reasons_name_the_evidence():
    verdict = judge_window(recorded(1.35, steal=0.1))
    assert "1.35 of 2 cores" in verdict.text() and "stole 10%" in verdict.text()


@pytest.mark.parametrize("before, after, busy", [
    (5.8, 5.9, False), (5.8, 6.37, False), (5.8, 6.39, True), (69.6, 36.8, True), (5.8, 5.3, False),
    (5.8, 5.2, True),
])
def test_probe_drift(before, after, busy):
    assert judge_probe(before, after).busy is busy


def test_the_rule_is_data():
    strict = ContentionRule(max_others_share=0.01)
    assert judge_window(recorded(0.0596), strict).busy and not judge_window(recorded(0.0596)).busy
    assert ContentionRule().as_dict()["max_others_share"] == 0.10


@pytest.mark.parametrize("medians, busy", [
    ([50.3, 51.1, 53.5], False),  # DAMO-YOLO-T, idle refresh
    ([353.3, 431.4, 356.0, 425.7, 440.4], False),  # RT-DETRv2-L in one process, 25 % by a hair
    ([4.50, 7.12, 6.98], True),  # YOLOX-Nano's two speeds in one refresh
    ([5.0], False),
])
def test_rounds_that_disagree_are_unstable(medians, busy):
    from benchgen.measure.timing.contention import judge_rounds

    assert judge_rounds(medians).busy is busy
