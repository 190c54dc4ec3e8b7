"""Temporary files for atomic writes (write next to the target, then rename over it).

Shared by everything that publishes a file (exported models, results): a reader or a killed run
never sees half a file. The temporary file is created with the umask's permissions, because
`tempfile.mkstemp`'s 0600 would carry over to the published file through the rename.

A SIGKILLed writer cannot remove its temporary file, so each name carries the writer's host and
pid, and reserving a new one removes the orphans beside it: those of a process of this host
that no longer runs, and any older than a day (a writer on another host sharing the disk, or a
pid that was reused).
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import socket
import time
from pathlib import Path

#: a temporary file older than this is an orphan whoever wrote it
STALE_AFTER_S = 24 * 3600
_HOST = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:6]
_NAME = re.compile(r"^\..+\.(?:(?P<host>[0-9a-f]{6})-(?P<pid>\d+)-)?[0-9a-f]{12}\.tmp$")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it runs
        return True
    return True


def is_orphan(path: Path, now: float | None = None) -> bool:
    """Whether `path` is a temporary file of this module whose writer is gone."""
    match = _NAME.match(path.name)
    if match is None:
        return False
    try:
        age = (now or time.time()) - path.lstat().st_mtime
    except FileNotFoundError:
        return False
    if age > STALE_AFTER_S:
        return True
    return match["host"] == _HOST and int(match["pid"]) != os.getpid() and not _alive(int(match["pid"]))


def remove_orphans(directory: Path) -> list[Path]:
    """Delete the orphaned temporary files in `directory`; returns what was removed."""
    removed = []
    try:
        candidates = [p for p in Path(directory).iterdir() if p.name.endswith(".tmp") and p.name.startswith(".")]
    except OSError:
        return removed
    for path in candidates:
        if is_orphan(path):
            try:
                path.unlink()
                removed.append(path)
            except OSError:
                continue
    return removed


def reserve_temp_path(target: Path) -> Path:
    """A new, empty, uniquely named hidden file in `target`'s directory."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_orphans(target.parent)
    while True:
        tmp = target.with_name(f".{target.name}.{_HOST}-{os.getpid()}-{secrets.token_hex(6)}.tmp")
        try:
            os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
            return tmp
        except FileExistsError:
            continue
