"""Where timings done together stand, as data and as one line of text: a leaf module (no ONNX Runtime),
so the refresh's progress printer reads it without loading a runtime."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class RoundsProgress:
    """Where the rounds stand, after every slot: for a progress line in a log (refresh prints one at
    least every PROGRESS_EVERY_S without a terminal) and a bar's text with one."""

    round: int
    rounds: int
    slots_done: int
    #: slots still to time if every subject left runs the rest of the planned rounds: variants that
    #: leave early make it shorter, extra rounds bought with their saved time longer (the session
    #: never times longer than the sum of the budgets, so the planned rounds are the right scale)
    slots_left: int
    active: int
    elapsed_s: float
    round_done: bool

    @property
    def left_s(self) -> float:
        return self.slots_left * self.elapsed_s / self.slots_done if self.slots_done else math.nan

    def line(self) -> str:
        left = f"about {duration_text(self.left_s)} left" if math.isfinite(self.left_s) else "estimating"
        what = f"round {self.round} of {self.rounds} done" if self.round_done else f"round {self.round} of {self.rounds}"
        return (f"timing: {what}, {self.slots_done} slots timed, {self.active} variant(s) still in the rotation; "
                f"{duration_text(self.elapsed_s)} elapsed, {left}")


def duration_text(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


class Every:
    """Passes a line on to `log` when `seconds` have gone by since the last one it passed (or always,
    with `force`): for the untimed stretches around the rounds (peak memory, warm-up, the end-to-end
    phase), which a log would otherwise show nothing of for minutes."""

    def __init__(self, log, seconds: float = 30.0, clock=None) -> None:
        import time

        self.log, self.seconds = log, seconds
        self.clock = clock or time.monotonic
        self.started = self.last = self.clock()

    def maybe(self, text: str, force: bool = False) -> bool:
        now = self.clock()
        if force or now - self.last >= self.seconds:
            self.log(f"{text}; {duration_text(now - self.started)} elapsed")
            self.last = now
            return True
        return False
