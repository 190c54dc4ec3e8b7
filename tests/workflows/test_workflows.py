"""The GitHub workflows are checked against the GitHub Actions schema and for what they must do."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))


def _load(name: str) -> dict:
    return yaml.safe_load((REPO / ".github" / "workflows" / name).read_text())


def _uses(doc: dict) -> list[str]:
    return [step["uses"] for job in doc["jobs"].values() for step in job.get("steps", []) if "uses" in step]


def test_workflows_match_the_github_actions_schema():
    exe = shutil.which("check-jsonschema") or str(Path(sys.executable).parent / "check-jsonschema")
    proc = subprocess.run([exe, "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_site_workflow_builds_prs_and_deploys_main_with_official_pages_actions():
    doc = _load("site.yml")
    triggers = doc[True] if True in doc else doc["on"]  # YAML 1.1 reads `on` as True
    assert "pull_request" in triggers and triggers["push"]["branches"] == ["main"]
    uses = _uses(doc)
    assert any(u.startswith("actions/upload-pages-artifact@") for u in uses)
    assert any(u.startswith("actions/deploy-pages@") for u in uses)
    deploy = doc["jobs"]["deploy"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert "refs/heads/main" in deploy["if"]
    runs = " ".join(step.get("run", "") for step in doc["jobs"]["build"]["steps"])
    assert "benchgen render" in runs and "mkdocs build --strict" in runs
    assert "benchgen refresh" not in runs, "the Pages build must only render committed results"


def test_refresh_workflow_runs_on_gpu_runners_and_opens_a_pull_request():
    doc = _load("refresh.yml")
    triggers = doc[True] if True in doc else doc["on"]
    assert "workflow_dispatch" in triggers and "schedule" in triggers
    measure = doc["jobs"]["measure"]
    assert "self-hosted" in measure["runs-on"] and len(measure["strategy"]["matrix"]["machine"]) >= 2
    assert any("benchgen refresh" in step.get("run", "") for step in measure["steps"])
    assert any(u.startswith("peter-evans/create-pull-request@") for u in _uses(doc))


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_actions_are_pinned_to_a_version(path):
    for use in _uses(yaml.safe_load(path.read_text())):
        assert "@" in use, use


#: owners whose actions may be referenced by a (movable) tag; everyone else is pinned by commit
TRUSTED_OWNERS = ("actions/",)


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_third_party_actions_are_pinned_by_commit_sha(path):
    """A tag can be moved to other code; a job holding a write token must run the code that was reviewed."""
    for use in _uses(yaml.safe_load(path.read_text())):
        if use.startswith(TRUSTED_OWNERS) or use.startswith("./"):
            continue
        ref = use.rsplit("@", 1)[1]
        assert re.fullmatch(r"[0-9a-f]{40}", ref), f"{path.name}: {use} is not pinned to a full commit SHA"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_workflow_input_is_spliced_into_a_shell_script(path):
    """`${{ inputs.x }}` inside `run:` is script injection; inputs go through `env:`."""
    doc = yaml.safe_load(path.read_text())
    for job in doc["jobs"].values():
        for step in job.get("steps", []):
            for marker in ("inputs.", "github.event."):
                assert "${{ " + marker not in step.get("run", ""), (path.name, step.get("name"))
