"""Errors a user can act on: each names the file or input at fault and says how to fix it.

The CLI prints these as one clean message (no traceback) and exits non-zero.
"""


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


def raise_terminated(signum, frame):
    """A SIGTERM handler: raise `Terminated` where the main thread is."""
    raise Terminated(f"signal {signum}")
