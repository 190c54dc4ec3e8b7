"""A fingerprint of an implementation's source, so changed model code never reuses old results.

It covers the family's package, the packages it is built on, and the modules all families share (checkpoint reading,
deterministic weights). It is read from the files without importing them, because a refresh with
nothing stale must not pay for importing torch. A refactor that leaves the exported graph as it was
still changes the fingerprint: re-measuring then costs minutes, reusing a wrong export costs trust.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from benchgen.models import IMPLEMENTATIONS

MODELS_DIR = Path(__file__).resolve().parent
#: implementation -> the other implementation packages whose modules it imports (D-FINE reuses RT-DETRv2's)
BUILT_ON: dict[str, tuple[str, ...]] = {"dfine": ("rtdetrv2",)}


@lru_cache(maxsize=16)
def implementation_source_hash(name: str) -> str:
    files = []
    for package_name in (IMPLEMENTATIONS[name].rsplit(".", 1)[-1], *BUILT_ON.get(name, ())):
        package = MODELS_DIR / package_name
        files += sorted(p for p in package.rglob("*") if p.suffix in (".py", ".yaml") and "__pycache__" not in p.parts)
    files += sorted(p for p in MODELS_DIR.glob("*.py") if p.name != "source_hash.py")
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(MODELS_DIR).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
