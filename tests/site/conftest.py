"""Build real sites (render + `mkdocs build --strict`) in temporary project copies."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from benchgen.registry import load_registry
from benchgen.render.pages import GENERATED, render_site
from benchgen.results.store import load_results
from tests.conftest import REPO


def build_site(workdir: Path, registry_dir: Path | None = None, results_dir: Path | None = None,
               site_url: str | None = None, notebooks: bool = True) -> Path:
    """Copy the hand-written site sources, render generated pages, build; return the site directory.

    `notebooks=False` leaves the notebook out: mkdocs-jupyter executes it, which costs CPU time a
    test of the generated pages does not need."""
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "mkdocs.yml", workdir / "mkdocs.yml")
    generated = {REPO / "docs" / g for g in GENERATED}
    shutil.copytree(REPO / "docs", workdir / "docs",
                    ignore=lambda d, names: [n for n in names if Path(d) / n in generated or n.startswith(".")
                                             or (not notebooks and n.endswith(".ipynb"))])
    results_dir = results_dir or workdir / "results"
    render_site(load_registry(registry_dir), load_results(results_dir), docs=workdir / "docs")
    env = {**os.environ, "BENCHGEN_RESULTS": str(results_dir), "NO_MKDOCS_2_WARNING": "1"}
    if site_url:  # Material's instant navigation only follows links within site_url's origin
        env["BENCHGEN_SITE_URL"] = site_url
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(workdir / "mkdocs.yml"),
                           "-d", str(workdir / "site")], capture_output=True, text=True, env=env, cwd=workdir)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("WARNING")]
    assert not warnings, warnings
    return workdir / "site"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def site_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def default_site(tmp_path_factory, site_port) -> Path:
    """The embedded default registry with the repository's committed results, built for localhost."""
    return build_site(tmp_path_factory.mktemp("default"), results_dir=REPO / "results",
                      site_url=f"http://127.0.0.1:{site_port}/")
