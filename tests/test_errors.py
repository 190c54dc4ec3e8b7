"""SIGTERM handling: a Terminated swallowed where Python ran the handler is delivered again."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from tests.conftest import REPO

SCRIPT = """
import gc, os, signal, sys, time
from benchgen.errors import Terminated, raise_terminated, terminated_handled
signal.signal(signal.SIGTERM, raise_terminated)

class SignalsInDel:
    def __del__(self):
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(1000):  # the handler runs here, inside __del__: its exception is "ignored"
            pass

SignalsInDel()
gc.collect()
try:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        time.sleep(0.02)
    print("ran to the end", flush=True)
    sys.exit(0)
except KeyboardInterrupt as exc:
    terminated_handled()
    print(f"interrupted by {type(exc).__name__}", flush=True)
    sys.exit(130)
"""


def test_a_terminated_swallowed_inside_a_destructor_is_delivered_again():
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=REPO, env=os.environ.copy(), capture_output=True,
                          text=True, timeout=60)
    assert "Exception ignored" in done.stderr and "Terminated" in done.stderr  # the first one was lost
    assert done.returncode == 130 and "interrupted by Terminated" in done.stdout, (done.stdout, done.stderr)
    assert time.monotonic() - start < 15  # the second delivery, not the loop's end
