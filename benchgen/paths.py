"""Where benchgen's default directories are: one rule for all of them.

Every default (results/, docs/, templates/) is the checkout's own directory, whatever the working
directory: `cd /tmp && benchgen render` must render the project's results into the project's
docs, not an empty results/ of /tmp over them. A path given on the command line resolves against
the working directory, as any path argument does.
"""

from __future__ import annotations

import os
from pathlib import Path

#: the checkout that holds benchgen/, templates/, docs/ and results/
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RESULTS_DIR = PROJECT_ROOT / "results"
DEFAULT_DOCS = PROJECT_ROOT / "docs"
DEFAULT_TEMPLATES = PROJECT_ROOT / "templates"


def project_root() -> Path:
    """Registry paths like ``../shared/...`` are written relative to the checkout, not to the YAML file."""
    env = os.environ.get("BENCHGEN_ROOT")
    return Path(env).resolve() if env else PROJECT_ROOT


def cache_root() -> Path:
    """Exports, detections, engines and the results index; BENCHGEN_CACHE_DIR moves it (tests, shared cache disks)."""
    env = os.environ.get("BENCHGEN_CACHE_DIR")
    return Path(env).resolve() if env else project_root() / ".benchgen" / "cache"
