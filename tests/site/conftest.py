"""Build real sites (render + `mkdocs build --strict`) in temporary project copies."""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import socket
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from benchgen.registry import load_registry
from benchgen.render.pages import GENERATED, render_site
from benchgen.results.merge import machine_bound
from benchgen.results.schema import Machine
from benchgen.results.store import load_results, write_result
from tests.conftest import REPO

#: a second machine, as a newcomer's checkout holds after `make site` on a busy laptop
NEWCOMER = Machine(id="cpu-newcomer-laptop-4c-0a0b0c", label="Newcomer laptop CPU (4 cores)", cpu="Newcomer laptop CPU",
                   cpu_count=4, os="Linux", python="3.11", host_id="0a0b0c")


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


def committed_results(target: Path) -> Path:
    """The results as committed (HEAD's `results/`), never the working tree's: what a user's own
    `make site` measured there must not decide whether the suite passes."""
    proc = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", "HEAD", "results"],
                          capture_output=True, check=False)
    if proc.returncode != 0:
        pytest.fail("the site tests build from the committed results/ (git archive HEAD results), and git could "
                    f"not give them: {proc.stderr.decode(errors='replace').strip()}; run the tests in a git checkout")
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as archive:
        archive.extractall(target, filter="data")
    return target / "results"


def add_unstable_machine(results_dir: Path, machine: Machine = NEWCOMER) -> int:
    """Copy every committed latency result onto `machine`, dated after all of them and unstable, as a
    busy newcomer's `make site` leaves them; return how many were written."""
    results = load_results(results_dir)
    newest = max(r.provenance.date for r in results)
    # a plain `make site` times FP32 only (INT8 is asked for with --precision int8)
    latest = {(r.variant, r.kind): r for r in results if machine_bound(r.kind) and r.precision == "fp32"}
    for index, result in enumerate(latest.values()):
        copy = result.model_copy(deep=True)
        copy.status = "unstable"
        copy.provenance.machine = machine
        copy.provenance.date = newest + dt.timedelta(minutes=10 + index)
        copy.details = {"contention": {"verdict": "busy", "reasons": [
            "other processes used 2.10 of 4 cores (limit 10%)", "its round medians spread by 247% (limit 25%)"]}}
        write_result(copy, results_dir)
    return len(latest)


@pytest.fixture(scope="session")
def default_site(tmp_path_factory, site_port) -> Path:
    """The embedded default registry with the committed results, plus a newcomer machine whose every
    latency came out unstable (the newest machine, with nothing to show), built for localhost."""
    work = tmp_path_factory.mktemp("default")
    results = committed_results(work / "committed")
    assert add_unstable_machine(results) > 0
    return build_site(work / "project", results_dir=results, site_url=f"http://127.0.0.1:{site_port}/")
