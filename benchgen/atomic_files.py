"""Temporary files for atomic writes (write next to the target, then rename over it).

Shared by everything that publishes a file (exported models, results): a reader or a killed run
never sees half a file. The temporary file is created with the umask's permissions, because
`tempfile.mkstemp`'s 0600 would carry over to the published file through the rename.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def reserve_temp_path(target: Path) -> Path:
    """A new, empty, uniquely named hidden file in `target`'s directory."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    while True:
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
        try:
            os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
            return tmp
        except FileExistsError:
            continue
