"""Copy one file from a mirror or URL into a temporary file beside its destination.

HTTP goes through pooch's downloader (requests, with a tqdm progress bar on stderr); a directory
mirror is a plain copy. Either way the bytes land in a hidden temporary file that the caller
verifies and renames, so the final name never holds a partial or unverified file.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pooch
import tqdm

# tqdm's bars otherwise start a monitor thread that outlives them: a `refresh --fetch` would still have it
# running while latencies are timed, and a thread waking in the process takes the GIL from session.run
tqdm.tqdm.monitor_interval = 0

#: seconds without a byte before a transfer counts as broken
TIMEOUT_S = 60


class NotThere(Exception):
    """The mirror does not hold the file (404, or no such file): try the next one."""


class Broken(Exception):
    """The transfer started and failed (connection closed mid-body, timeout, server error)."""


def copy_into(location: str, tmp: Path, progress: bool = True) -> None:
    if not location.startswith(("http://", "https://")):
        try:
            shutil.copyfile(location, tmp)
        except FileNotFoundError:
            raise NotThere(location) from None
        except OSError as exc:
            raise Broken(f"{location}: {exc.strerror or exc}") from None
        return
    import requests

    downloader = pooch.HTTPDownloader(progressbar=progress, timeout=TIMEOUT_S)
    try:
        downloader(location, str(tmp), None)
    except requests.exceptions.HTTPError as exc:
        status = exc.response.status_code if exc.response is not None else None
        if status in (403, 404, 410):
            raise NotThere(f"{location}: HTTP {status}") from None
        raise Broken(f"{location}: HTTP {status}") from None
    except requests.exceptions.RequestException as exc:
        kind = type(exc).__name__
        raise Broken(f"{location}: transfer failed after {tmp.stat().st_size if tmp.exists() else 0:,} bytes "
                     f"({kind})") from None
