"""One writer at a time per results or docs tree.

Two refreshes at once measure every stale job twice and the one that renders last may publish
the older value; two renders at once swap the same directories under each other. An advisory
lock (flock) on a file inside the tree serialises them: the second waits, says so, and then
plans from what the first wrote. The kernel drops the lock when its holder dies, so a killed
run never leaves a lock held (a SIGKILLed one leaves the empty file, which the next run reuses).
"""

from __future__ import annotations

import fcntl
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_NAME = ".benchgen.lock"


def _acquire(path: Path, directory: Path):
    """An open handle on `path` holding its lock. The holder removes the file when done, so a lock
    won on a file that is no longer at `path` is stale and is tried again on the new one."""
    told = False
    while True:
        handle = open(path, "a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not told:
                handle.seek(0)
                holder = handle.read().strip() or "another benchgen"
                print(f"benchgen: waiting for {holder} to finish with {directory} (lock {path})",
                      file=sys.stderr, flush=True)
                told = True
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            if os.fstat(handle.fileno()).st_ino == os.stat(path).st_ino:
                return handle
        except FileNotFoundError:
            pass
        handle.close()


@contextmanager
def exclusive(directory: Path, what: str) -> Iterator[None]:
    """Hold the lock of `directory` (created if missing); `what` names the holder in messages."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / LOCK_NAME
    handle = _acquire(path, directory)
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(f"benchgen {what} (pid {os.getpid()})\n")
        handle.flush()
        yield
    finally:
        path.unlink(missing_ok=True)  # before unlocking: a waiter then sees its file is stale
        handle.close()  # releases the lock
