"""Progress a log shows: without a terminal, a line per finished job or round, and one at least every
PROGRESS_EVERY_S while latencies are timed.

A refresh's rich progress bar draws nothing when stderr is a file (CI, `make site > log 2>&1`), and
the CPU rounds of a whole field run for many minutes between two result lines. So without a
terminal the rounds' progress (benchgen.measure.timing.rounds.RoundsProgress) is printed as a line at the
end of every round and otherwise at most every PROGRESS_EVERY_S, and every finished one-at-a-time
job gets the elapsed time and an estimate of what is left. With a terminal the bar's text says the
same, and nothing more is printed. Nothing here runs a thread: the rounds call it between two
timed windows, and a thread beside the timing competes for the GIL (see refresh.run).
"""

from __future__ import annotations

import time
from typing import Callable

from benchgen.measure.timing.progress import RoundsProgress, duration_text

#: the longest a log goes without a line while latencies are timed (a slot is a few seconds)
PROGRESS_EVERY_S = 30.0


class RoundsLines:
    """`progress` for run_rounds: a log line at every round's end and at most every `every_s` between."""

    def __init__(self, print_line: Callable[[str], None], terminal: bool,
                 describe: Callable[[str], None] | None = None, every_s: float = PROGRESS_EVERY_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.print_line, self.terminal, self.describe = print_line, terminal, describe
        self.every_s, self.clock = every_s, clock
        self.last = clock()

    def __call__(self, progress: RoundsProgress) -> None:
        if self.terminal:
            if self.describe is not None:
                self.describe(progress.line())
            return
        now = self.clock()
        if progress.round_done or now - self.last >= self.every_s:
            self.print_line(progress.line())
            self.last = now


class JobLines:
    """For jobs run one at a time: after each, how long the refresh has run and about how long is left."""

    def __init__(self, total: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.total, self.clock = total, clock
        self.started, self.done = clock(), 0

    def finished(self) -> str:
        self.done += 1
        elapsed = self.clock() - self.started
        left = elapsed / self.done * (self.total - self.done)
        return f"[{self.done}/{self.total}, {duration_text(elapsed)} elapsed, about {duration_text(left)} left]"
