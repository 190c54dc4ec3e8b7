"""Fingerprints of an implementation's source, read from the files without importing them (a refresh
with nothing stale must not pay for importing torch).

The export cache keys on the source (a changed model module is exported again), measurements do not:
they key on the exported graph (benchgen.refresh.cache_key), so a refactor that leaves the graph as it
was costs one re-export and no re-measurement. The decoding fingerprint is the exception a detection
score needs: its NumPy post-processing is not in the graph.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from benchgen.models.family import families

MODELS_DIR = Path(__file__).resolve().parent
BENCHGEN_DIR = MODELS_DIR.parent


def _package_dirs(name: str) -> list[Path]:
    """The family's package directory and those of the packages it is built on."""
    family = families()[name]
    short = family.package.rsplit(".", 1)[-1]
    package = MODELS_DIR / short
    if not package.is_dir():  # a family package outside benchgen/models (a plug-in on its path)
        package = Path(__import__(family.package, fromlist=["_"]).__file__).parent
    return [package, *(MODELS_DIR / other for other in family.built_on)]


def _digest(files: list[Path], root: Path) -> str:
    digest = hashlib.sha256()
    for path in files:
        try:
            digest.update(path.relative_to(root).as_posix().encode())
        except ValueError:  # a family package outside benchgen/models (a plug-in on the path)
            digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@lru_cache(maxsize=16)
def implementation_source_hash(name: str) -> str:
    """The family's package, the packages it is built on, and the modules all families share."""
    files = []
    for package in _package_dirs(name):
        files += sorted(p for p in package.rglob("*") if p.suffix in (".py", ".yaml") and "__pycache__" not in p.parts)
    files += sorted(p for p in MODELS_DIR.glob("*.py") if p.name != "source_hash.py")
    return _digest(files, MODELS_DIR)


@lru_cache(maxsize=16)
def decoding_source_hash(name: str) -> str:
    """The NumPy pipelines of the family (and of the packages it is built on) and the shared post-processing
    they call: what turns the graph's outputs into scored detections."""
    files = [package / "pipeline.py" for package in _package_dirs(name) if (package / "pipeline.py").is_file()]
    files += [BENCHGEN_DIR / "pipeline.py", *sorted((BENCHGEN_DIR / "postprocess").glob("*.py"))]
    return _digest(files, BENCHGEN_DIR)
