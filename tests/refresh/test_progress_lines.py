"""Progress a log shows: a line per round, one at least every PROGRESS_EVERY_S, and per job an estimate."""

from __future__ import annotations

from benchgen.measure.timing.progress import RoundsProgress
from benchgen.refresh.progress_lines import JobLines, RoundsLines


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _at(slots_done: int, elapsed: float, round_done: bool = False) -> RoundsProgress:
    return RoundsProgress(round=1, rounds=5, slots_done=slots_done, slots_left=300 - slots_done, active=60,
                          elapsed_s=elapsed, round_done=round_done)


def test_without_a_terminal_a_line_at_least_every_30_s_and_at_each_round_end():
    clock, printed = FakeClock(), []
    lines = RoundsLines(printed.append, terminal=False, every_s=30.0, clock=clock)
    for slot in range(1, 40):  # a slot every 5 s
        clock.now = slot * 5.0
        lines(_at(slot, clock.now))
    assert len(printed) == 6  # at 30, 60, ..., 180 s: never more than 30 s without a line
    clock.now = 196.0
    lines(_at(40, 196.0, round_done=True))
    assert len(printed) == 7 and "round 1 of 5 done" in printed[-1]
    # 40 slots in 196 s, 260 to go: about 21 min 14 s left
    assert printed[-1].endswith("3 min 16 s elapsed, about 21 min 14 s left")


def test_with_a_terminal_the_bar_says_it_and_nothing_is_printed():
    printed, described = [], []
    lines = RoundsLines(printed.append, terminal=True, describe=described.append, clock=FakeClock())
    lines(_at(1, 5.0, round_done=True))
    assert printed == [] and described and described[0].startswith("timing: round 1 of 5 done")


def test_each_finished_job_says_elapsed_and_left():
    clock = FakeClock()
    jobs = JobLines(4, clock=clock)
    clock.now = 10.0
    assert jobs.finished() == "[1/4, 10 s elapsed, about 30 s left]"
    clock.now = 70.0
    assert jobs.finished() == "[2/4, 1 min 10 s elapsed, about 1 min 10 s left]"


def test_untimed_stretches_say_something_at_least_every_30_s():
    from benchgen.measure.timing.progress import Every

    clock, printed = FakeClock(), []
    every = Every(printed.append, 30.0, clock=clock)
    for second in range(0, 100, 4):  # a variant's peak memory every 4 s
        clock.now = float(second)
        every.maybe(f"peak memory: {second // 4 + 1} of 25 variants measured")
    assert printed == ["peak memory: 9 of 25 variants measured; 32 s elapsed",
                       "peak memory: 17 of 25 variants measured; 1 min 04 s elapsed",
                       "peak memory: 25 of 25 variants measured; 1 min 36 s elapsed"]
