"""A fingerprint of an implementation's source, so changed model code never reuses old results.

It covers the family's package and the modules all families share (checkpoint reading,
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


@lru_cache(maxsize=16)
def implementation_source_hash(name: str) -> str:
    package = MODELS_DIR / IMPLEMENTATIONS[name].rsplit(".", 1)[-1]
    files = sorted(p for p in package.rglob("*") if p.suffix in (".py", ".yaml") and "__pycache__" not in p.parts)
    files += sorted(p for p in MODELS_DIR.glob("*.py") if p.name != "source_hash.py")
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(MODELS_DIR).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
