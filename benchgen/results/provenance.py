"""Describe the machine and software a measurement ran on, so every number can be traced."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import platform
import re
import subprocess
import sys
import uuid
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import benchgen
from benchgen.errors import BenchgenError
from benchgen.results.schema import Machine, Provenance
from benchgen.results.store import atomic_write_text

#: Libraries whose versions change what a measurement means.
TRACKED_LIBRARIES = ("numpy", "onnx", "onnxruntime", "torch", "faster-coco-eval", "opencv-python-headless",
                     "pillow", "tensorrt")


def cpu_model() -> str:
    """The CPU model name (/proc/cpuinfo), for machine ids here and the benchmarks' reports."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return None


def slugify(text: str) -> str:
    text = re.sub(r"\((r|tm)\)|cpu|processor|@.*$|\d+-core", " ", text.lower())
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def usable_cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def state_dir() -> Path:
    """Where benchgen keeps what belongs to the machine rather than to a checkout."""
    env = os.environ.get("BENCHGEN_STATE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "benchgen"


def _read_first(*paths: str) -> str:
    for path in paths:
        try:
            text = Path(path).read_text().strip()
        except OSError:
            continue
        if text:
            return text
    return ""


@lru_cache(maxsize=1)
def host_id() -> str:
    """Six hex digits that tell this machine from any other with the same CPU and core count.

    A CPU model and a core count do not identify a machine: every VM of a cloud instance type
    shares them, and results measured on one would pass as measured on the other. The identity is
    a random UUID created on first use in the user's state directory (a fresh machine or a fresh
    home gets a new one), hashed together with the OS's machine id (so a home directory copied to
    another machine does not carry the identity along). Where the state directory is not
    writable, the OS's machine id alone is used.
    """
    path = state_dir() / "machine-uuid"
    token = _read_first(str(path))
    if not token:
        token = str(uuid.uuid4())
        try:
            atomic_write_text(path, token + "\n")
        except OSError:
            token = ""
        token = _read_first(str(path)) or token  # another process may have won the race: use its UUID
    os_id = _read_first("/etc/machine-id", "/var/lib/dbus/machine-id")
    return hashlib.sha256(f"{token}|{os_id}|{platform.node() if not (token or os_id) else ''}".encode()).hexdigest()[:6]


@lru_cache(maxsize=1)
def current_machine(gpu: str | None = None, gpu_driver: str | None = None, cuda: str | None = None) -> Machine:
    """The machine benchgen runs on. BENCHGEN_MACHINE_ID/LABEL override the derived names (CI runners)."""
    cpu = cpu_model()
    count = usable_cpu_count()
    host = host_id()
    derived = f"gpu-{slugify(gpu)}-{host}" if gpu else f"cpu-{slugify(cpu)}-{count}c-{host}"
    label = f"{gpu}, host {host}" if gpu else f"{cpu} ({count} cores), host {host}"
    chosen = os.environ.get("BENCHGEN_MACHINE_ID")
    if chosen is not None and not re.fullmatch(Machine.model_fields["id"].metadata[0].pattern, chosen):
        raise BenchgenError(f"BENCHGEN_MACHINE_ID={chosen!r}: not a machine id (lower-case letters, digits, "
                            f"'.', '_', '-', starting with a letter or digit, e.g. {derived!r}); fix or unset it")
    return Machine(
        id=chosen or derived,
        label=os.environ.get("BENCHGEN_MACHINE_LABEL", label),
        cpu=cpu,
        cpu_count=count,
        memory_gb=_memory_gb(),
        os=f"{platform.system()} {platform.release()}",
        python=platform.python_version(),
        gpu=gpu,
        gpu_driver=gpu_driver,
        cuda=cuda,
        host_id=host,
    )


def library_versions(names: tuple[str, ...] = TRACKED_LIBRARIES) -> dict[str, str]:
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


@lru_cache(maxsize=1)
def git_state() -> tuple[str | None, bool | None]:
    root = Path(benchgen.__file__).resolve().parent.parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                                check=True, timeout=10).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                                    capture_output=True, text=True, check=True, timeout=10).stdout.strip())
        return commit, dirty
    except (OSError, subprocess.SubprocessError):
        return None, None


def collect_provenance(machine: Machine | None = None, command: str | None = None) -> Provenance:
    commit, dirty = git_state()
    return Provenance(
        benchgen_version=benchgen.__version__,
        git_commit=commit,
        git_dirty=dirty,
        libraries=library_versions(),
        machine=machine or current_machine(),
        date=dt.datetime.now(dt.timezone.utc),
        command=command if command is not None else " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
    )
