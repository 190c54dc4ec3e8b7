"""Errors a user can act on: each names the file or input at fault and says how to fix it.

The CLI prints these as one clean message (no traceback) and exits non-zero.
"""

import os
import threading


class BenchgenError(Exception):
    """Base class for errors caused by user input rather than by a bug."""


class RegistryError(BenchgenError):
    """A registry YAML file is missing, unreadable or malformed."""


class CheckpointError(BenchgenError):
    """A weights file is missing, corrupt or does not match the architecture."""


class DatasetError(BenchgenError):
    """A dataset directory or annotation file is missing or malformed."""


class BackendUnavailable(BenchgenError):
    """A requested runtime (e.g. TensorRT) cannot run on this machine."""


class ResultsError(BenchgenError):
    """A results JSON file does not follow the results schema."""


class DetectionsError(BenchgenError):
    """A detections file (COCO results format) is missing, malformed or does not fit its annotations."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, unwinding like Ctrl-C so that every `finally` cleans up (`except KeyboardInterrupt`
    catches it). Its own class for one reason: CPython remembers a plain KeyboardInterrupt that
    passed through code it ran via its C API (torch's ONNX export does so) and then ends the process
    by SIGINT whatever the exit code; it matches that exception by exact type, so a subclass keeps
    benchgen's exit code 130."""


#: set from the first SIGTERM until the CLI has caught the Terminated it raised
_UNHANDLED = threading.Event()
#: how long a raised Terminated may take to reach the CLI before the signal is delivered again
REDELIVER_AFTER_S = 2.0


def raise_terminated(signum, frame):
    """A SIGTERM handler: raise `Terminated` where the main thread is.

    Python runs a handler wherever the main thread happens to be, and that can be inside a weakref
    callback or `__del__` (importlib's module-lock callback, in a fresh-clone CI run), which prints
    the exception as "ignored" and carries on: the run would finish as if never stopped. So the
    first signal also arms a timer that sends it again unless the CLI reports the interrupt handled
    (`terminated_handled`) by then."""
    if not _UNHANDLED.is_set():
        _UNHANDLED.set()
        timer = threading.Timer(REDELIVER_AFTER_S, _redeliver, args=(signum,))
        timer.daemon = True
        timer.start()
    raise Terminated(f"signal {signum}")


def _redeliver(signum: int) -> None:
    if _UNHANDLED.is_set():
        _UNHANDLED.clear()  # the next delivery arms a new timer
        os.kill(os.getpid(), signum)


def terminated_handled() -> None:
    """The interrupt reached the CLI's handler: no second delivery is needed."""
    _UNHANDLED.clear()
