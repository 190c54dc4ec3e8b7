"""Where benchgen's default directories are: one rule for all of them.

Every default (results/, docs/, templates/) is the checkout's own directory, whatever the working
directory: `cd /tmp && benchgen render` must render the project's results into the project's
docs, not an empty results/ of /tmp over them. A path given on the command line resolves against
the working directory, as any path argument does.
"""

from __future__ import annotations

from pathlib import Path

#: the checkout that holds benchgen/, templates/, docs/ and results/
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RESULTS_DIR = PROJECT_ROOT / "results"
DEFAULT_DOCS = PROJECT_ROOT / "docs"
DEFAULT_TEMPLATES = PROJECT_ROOT / "templates"
