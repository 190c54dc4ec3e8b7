"""Which backends of the metric table (benchgen.metrics.BACKENDS) run on this machine, and their fingerprints.

Beside the runners: this is where a refresh learns what it can measure here. Each backend names its
own machine and fingerprint functions in the table, so a new backend is found here without an edit.
"""

from __future__ import annotations

from typing import Any, Callable

from benchgen.errors import BackendUnavailable, BenchgenError
from benchgen.metrics import BACKENDS, resolve


def cpu_machine_id() -> str:
    from benchgen.results.provenance import current_machine

    return current_machine().id


def ort_fingerprint_cpu() -> dict[str, Any]:
    import onnxruntime as ort

    return {"onnxruntime": ort.__version__}


def backend_fingerprint(backend: str) -> dict[str, Any]:
    """What besides the model decides a backend's figures, known without building the backend (part of
    every cache key). Also the evaluation-only runner ort-cuda, which no refresh plans."""
    if backend == "ort-cuda":
        import onnxruntime as ort

        from benchgen.measure.backends.runners import require_ort_cuda

        require_ort_cuda()
        return {"backend": backend, "onnxruntime": ort.__version__}
    if backend not in BACKENDS:
        raise BenchgenError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    return {"backend": backend, **resolve(BACKENDS[backend].fingerprint)()}


def available_backends(requested: list[str] | None, skipped: Callable[[str, str], None]) -> dict[str, str]:
    """backend -> id of the machine its results belong to, for every backend that runs here.

    GPU results belong to the GPU machine. A backend that cannot run here (no NVIDIA GPU, no extra)
    is reported through `skipped(backend, why)`, or, where the user asked for it, raises.
    """
    wanted = requested or [b for b in BACKENDS if BACKENDS[b].default]
    machines: dict[str, str] = {}
    for backend in wanted:
        try:
            machines[backend] = resolve(BACKENDS[backend].machine)()
        except (BackendUnavailable, ImportError) as exc:
            if requested:
                raise BackendUnavailable(str(exc)) from None
            skipped(backend, str(exc))
    return machines
