"""The `ultralytics` provider: YOLO26, YOLO11, YOLO12, YOLOv10, YOLOv9, YOLOv8, YOLOv5u and RT-DETR
built by the official package from its bundled model YAMLs, exported as Ultralytics documents.

The package is AGPL-3.0 and needs a torchvision *distribution* to import (it reads torchvision's
version from its metadata), while PyPI's torchvision does not import beside the CPU build of torch.
So it never enters benchgen's environment: `scripts/bootstrap.sh --ultralytics` makes a venv of its
own, `.venv-ultralytics/` (torch, the pinned ultralytics, onnx, onnxslim, onnxruntime and a
metadata-only torchvision stand-in: building and exporting never import torchvision), and the export
runs there, as a subprocess running `ultralytics_worker.py`. This module imports nothing of the
package; it reads the venv's package versions from their metadata files, without starting Python,
because they enter every cache key and a refresh with nothing stale must stay fast.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
from functools import lru_cache
from importlib.metadata import distributions
from pathlib import Path
from typing import Any

from benchgen.errors import BenchgenError
from benchgen.paths import cache_root, project_root
from benchgen.providers.spec import ExportRequest, ProviderSpec, ProviderUnavailable

INSTALL = "scripts/bootstrap.sh --ultralytics"
PYTHON_ENV = "BENCHGEN_ULTRALYTICS_PYTHON"
WORKER = Path(__file__).with_name("ultralytics_worker.py")
#: the worker run with a release checkpoint loaded strictly (its own file: the worker's hash stays the fixed-seed key's)
TRAINED_WORKER = Path(__file__).with_name("ultralytics_trained.py")
#: the versions that decide what an export holds
TRACKED = ("ultralytics", "torch", "onnx", "onnxslim")
MODEL_CLASSES = ("YOLO", "RTDETR")
#: an export may take minutes (RT-DETR-X on 2 cores); a hung one must not hang a refresh
EXPORT_TIMEOUT_S = 1800


def python_path() -> Path:
    """The provider venv's interpreter: $BENCHGEN_ULTRALYTICS_PYTHON, else .venv-ultralytics/ of the checkout."""
    env = os.environ.get(PYTHON_ENV)
    return Path(env) if env else project_root() / ".venv-ultralytics" / "bin" / "python"


def _unavailable(why: str) -> ProviderUnavailable:
    return ProviderUnavailable(f"the ultralytics provider is not installed here ({why}); install it with `{INSTALL}` "
                               "(its own environment, .venv-ultralytics/, with the AGPL-3.0 ultralytics package)")


def _site_packages(python: Path) -> list[Path]:
    venv = python.parent.parent
    return sorted(venv.glob("lib/python3*/site-packages"))


@lru_cache(maxsize=8)
def _versions(python: str, stamp: tuple) -> dict[str, str]:
    found: dict[str, str] = {}
    for dist in distributions(path=[str(p) for p in _site_packages(Path(python))]):
        name = (dist.metadata["Name"] or "").lower()
        if name in TRACKED:
            found.setdefault(name, dist.version)
    return found


def fingerprint() -> dict[str, str]:
    python = python_path()
    if not python.exists():
        raise _unavailable(f"no {python}")
    places = _site_packages(python)
    stamp = tuple((str(p), p.stat().st_mtime_ns) for p in places)
    versions = dict(_versions(str(python), stamp))
    if "ultralytics" not in versions:
        raise _unavailable(f"{python.parent.parent} has no ultralytics package")
    versions["worker"] = hashlib.sha256(WORKER.read_bytes()).hexdigest()[:12]
    return versions


def export_defaults(input_size: int) -> dict[str, Any]:
    """`model.export(format="onnx")` as the Ultralytics export docs give it: their defaults, stated, so the
    cache key and the result record them (opset: the package's choice, recorded from the file)."""
    return {"format": "onnx", "imgsz": input_size, "simplify": True, "dynamic": False, "half": False,
            "batch": 1, "nms": False}


def check(options: dict[str, Any], export: dict[str, Any], input_size: int) -> str | None:
    if options["model"] not in MODEL_CLASSES:
        return f"build option model is {options['model']!r}; use one of {', '.join(MODEL_CLASSES)}"
    fixed = {"format": "onnx", "imgsz": input_size, "batch": 1, "dynamic": False}
    wrong = [f"{k}={export.get(k)!r}" for k, v in fixed.items() if export.get(k) != v]
    if wrong:
        return (f"export {', '.join(wrong)}: benchgen measures one static ONNX graph at batch 1 and the variant's "
                f"input_size ({input_size}); leave these to the provider's defaults")
    if export.get("nms"):
        return "export nms=True adds torchvision's NMS to the graph, which the provider's environment cannot import"
    return None


def _tail(text: str, lines: int = 6) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:] if line.strip())


def export(request: ExportRequest) -> dict[str, Any]:
    python = python_path()
    if not python.exists():
        raise _unavailable(f"no {python}")
    payload = json.dumps({"config": request.config, "model": request.options["model"], "export": request.export,
                          "seed": request.seed, "output": str(Path(request.output).resolve()),
                          "weights": str(Path(request.weights).resolve()) if request.weights else None})
    config_dir = cache_root() / "ultralytics-settings"
    config_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "YOLO_CONFIG_DIR": str(config_dir), "YOLO_OFFLINE": "True", "YOLO_AUTOINSTALL": "False",
           "CUDA_VISIBLE_DEVICES": ""}
    with tempfile.TemporaryDirectory(prefix="benchgen-ultralytics-", dir=cache_root()) as workdir:
        # -I: isolated, so neither PYTHONPATH nor the worker's own directory (which holds this module,
        # named ultralytics.py) is on the worker's sys.path: `import ultralytics` finds the package
        script = TRAINED_WORKER if request.weights else WORKER
        done = subprocess.run([str(python), "-I", str(script), payload], cwd=workdir, env=env, capture_output=True,
                              text=True, timeout=EXPORT_TIMEOUT_S, check=False)
    if done.returncode != 0:
        raise BenchgenError(f"ultralytics export of {request.config} failed (exit {done.returncode}): "
                            f"{_tail(done.stderr or done.stdout)}")
    marks = [line for line in done.stdout.splitlines() if line.startswith("BENCHGEN-FACTS ")]
    if not marks:
        raise BenchgenError(f"ultralytics export of {request.config} printed no facts line: {_tail(done.stdout)}")
    line = marks[-1].removeprefix("BENCHGEN-FACTS ")
    try:
        facts = json.loads(line)
    except json.JSONDecodeError as exc:
        raise BenchgenError(f"ultralytics export of {request.config}: the facts line of {python} {WORKER.name} is "
                            f"not valid JSON ({exc}: {line[:80]!r}); reinstall the provider's environment with "
                            f"`{INSTALL}`") from None
    if not isinstance(facts, dict):
        raise BenchgenError(f"ultralytics export of {request.config}: the facts line of {python} {WORKER.name} is "
                            f"{type(facts).__name__}, not a JSON object; reinstall the provider's environment with "
                            f"`{INSTALL}`")
    return facts


def weights_loader() -> str:
    """What loads a release checkpoint: part of the key of the exports built from one."""
    return hashlib.sha256(TRAINED_WORKER.read_bytes()).hexdigest()[:12]


PROVIDER = ProviderSpec(
    name="ultralytics",
    summary="the official ultralytics package (AGPL-3.0), run in its own venv: model YAMLs bundled with it",
    install=INSTALL,
    fingerprint=fingerprint,
    export=export,
    export_defaults=export_defaults,
    options={"model": "YOLO"},
    check=check,
    weights_loader=weights_loader,
)
