"""One writer at a time per results or docs tree.

Two refreshes at once measure every stale job twice and the one that renders last may publish
the older value; two renders at once swap the same directories under each other. An advisory
lock (flock) on a file inside the tree serialises them: the second waits, says so, and then
plans from what the first wrote. The kernel drops the lock when its holder dies, so a killed
run never leaves a lock held (a SIGKILLed one leaves the file with its holder line, which the
next run reuses).

The lock file sits in a directory that pull requests and users write to, so it is opened without
following a link (a link there would have the lock's holder line written through it into another
file), and a file that is not one benchgen made (another content, a hard link, not a regular file)
is refused, never truncated.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchgen.errors import BenchgenError

LOCK_NAME = ".benchgen.lock"
#: what a lock file holds: nothing (just created) or the line its holder wrote
_HOLDER_LINE = re.compile(r"benchgen [^\n]{1,80} \(pid \d+\)\n?")
#: a holder line is short; more is not a lock file of benchgen's
_MAX_LOCK_BYTES = 200


def _refuse(path: Path, what: str) -> BenchgenError:
    return BenchgenError(f"{path}: {what}, not a lock file benchgen made; taking the lock would write into it, so "
                         f"move it out of {path.parent} (benchgen creates its own {LOCK_NAME})")


def _open(path: Path):
    """The lock file opened for reading and writing, created if missing, never through a link."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _refuse(path, "is a symbolic link") from None
        if exc.errno == errno.EISDIR:
            raise _refuse(path, "is a directory") from None
        raise
    info = os.fstat(fd)
    problem = ("is not a regular file" if not stat.S_ISREG(info.st_mode) else
               f"has {info.st_nlink} hard links" if info.st_nlink != 1 else None)
    if problem:
        os.close(fd)
        raise _refuse(path, problem)
    return os.fdopen(fd, "r+", encoding="utf-8", errors="replace")


def _holder(handle) -> str | None:
    """The holder line of the file, "" when empty, None when the file holds anything else."""
    handle.seek(0)
    text = handle.read(_MAX_LOCK_BYTES + 1)
    if not text:
        return ""
    return text.strip() if _HOLDER_LINE.fullmatch(text) else None


def _acquire(path: Path, directory: Path):
    """An open handle on `path` holding its lock. The holder removes the file when done, so a lock
    won on a file that is no longer at `path` is stale and is tried again on the new one."""
    told = False
    while True:
        handle = _open(path)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not told:
                holder = _holder(handle) or "another benchgen"
                print(f"benchgen: waiting for {holder} to finish with {directory} (lock {path})",
                      file=sys.stderr, flush=True)
                told = True
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            same = os.fstat(handle.fileno()).st_ino == os.stat(path, follow_symlinks=False).st_ino
        except FileNotFoundError:
            same = False
        if same:
            if _holder(handle) is None:
                handle.close()
                raise _refuse(path, "holds text other than a benchgen holder line")
            return handle
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
