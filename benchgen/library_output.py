"""Library chatter (PyTorch exporter warnings, C++ diagnostics on stderr) goes to a log file, not the terminal.

An export of one model prints dozens of TracerWarnings and exporter notes that are not the user's
concern: they say how PyTorch traced benchgen's own code. Inside `to_log`, Python warnings are
recorded and every write to file descriptor 2 (which C++ libraries use directly) lands in
`<cache>/logs/library-output.log`, with a header naming the step; the caller prints one line that
says where, and only if something was written. Exceptions are not affected: they propagate and are
reported as always. Not for timed code: nothing is redirected while a latency is timed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from benchgen.paths import cache_root


def log_path() -> Path:
    return cache_root() / "logs" / "library-output.log"


@dataclass
class Captured:
    path: Path
    warnings: int = 0
    bytes_written: int = 0

    def note(self) -> str:
        """The one line for the console, or "" when the libraries said nothing."""
        if not self.warnings and not self.bytes_written:
            return ""
        what = f"{self.warnings} library warning(s)" if self.warnings else "library output"
        return f"{what} written to {self.path}"


@contextlib.contextmanager
def to_log(step: str) -> Iterator[Captured]:
    path = log_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    captured = Captured(path)
    with open(path, "a", encoding="utf-8") as log:
        log.write(f"--- {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M:%S} UTC: {step}\n")
        log.flush()
        start = log.tell()
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(log.fileno(), 2)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                yield captured
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            log.seek(0, os.SEEK_END)
            captured.bytes_written = log.tell() - start
            for w in caught:
                log.write(warnings.formatwarning(w.message, w.category, w.filename, w.lineno))
            captured.warnings = len(caught)
