"""The GitHub Actions workflows: actionlint and zizmor pass, actions are pinned, and the offline steps
(the `make` commands the workflows run) exist and succeed here, read from the YAML itself."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
BIN = ROOT / ".venv" / "bin"
# Targets the workflows run that this test does not re-run, and why.
NOT_RERUN = {
    "test": "it runs this test suite; re-running it here would recurse",
    "lint": "ruff + mypy over the repository: its own CI step, minutes with a cold mypy cache",
}


def _load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(path.read_text())
    return document


def _steps() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path.name, job_name, step)
        for path in WORKFLOWS
        for job_name, job in _load(path)["jobs"].items()
        for step in job["steps"]
    ]


def _make_commands() -> list[list[str]]:
    commands: list[list[str]] = []
    for _, _, step in _steps():
        for line in str(step.get("run", "")).splitlines():
            words = shlex.split(line)
            if words[:1] == ["make"] and words not in commands:
                commands.append(words)
    return commands


def _makefile_targets() -> set[str]:
    return set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(), flags=re.MULTILINE))


def test_there_are_pull_request_release_and_drift_workflows() -> None:
    triggers = {path.name: _load(path)[True] for path in WORKFLOWS}  # PyYAML reads `on:` as True
    assert "pull_request" in triggers["pull-request.yml"]
    assert triggers["release.yml"]["push"]["branches"] == ["main"]
    assert "schedule" in triggers["drift.yml"]


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda path: path.name)
def test_actionlint_passes(workflow: Path) -> None:
    result = subprocess.run(
        [BIN / "actionlint", "-no-color", str(workflow)], check=False, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda path: path.name)
def test_zizmor_passes_offline(workflow: Path) -> None:
    result = subprocess.run(
        [BIN / "zizmor", "--offline", "--no-progress", "--format", "plain", str(workflow)],
        check=False,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_action_is_pinned_to_a_commit_with_its_version() -> None:
    for path in WORKFLOWS:
        for line in path.read_text().splitlines():
            if "uses:" in line:
                assert re.search(r"uses: [\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$", line), (
                    f"{path.name}: {line}"
                )


def test_every_job_has_least_privilege_permissions_and_deploys_are_serialised_per_stack() -> None:
    for path in WORKFLOWS:
        workflow = _load(path)
        assert workflow["permissions"] == {}, f"{path.name}: workflow-level permissions must be empty"
        for name, job in workflow["jobs"].items():
            assert "permissions" in job, f"{path.name}:{name} has no permissions block"
            assert "write-all" not in str(job["permissions"])
    release = _load(ROOT / ".github/workflows/release.yml")["jobs"]
    assert release["production"]["environment"] == "production"
    assert "staging" in release["production"]["needs"]
    for stack in ("staging", "production"):
        assert release[stack]["concurrency"] == {"group": f"pulumi-{stack}", "cancel-in-progress": False}


def test_offline_steps_are_make_targets() -> None:
    commands = _make_commands()
    assert ["make", "report", "PREVIOUS=base/out"] in commands  # the report diffs against the base commit
    assert ["make", "setup"] in commands
    targets = _makefile_targets()
    for command in commands:
        assert command[1] in targets, f"`{' '.join(command)}` is not a Makefile target"


def test_offline_steps_run_locally() -> None:
    """Runs each workflow `make` step in the workflows' order, as CI would (no cloud needed)."""
    ran = []
    for command in _make_commands():
        if command[1] in NOT_RERUN:
            continue
        result = subprocess.run(command, cwd=ROOT, check=False, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, (
            f"{' '.join(command)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
        ran.append(command[1])
    assert "report" in ran
    for stack in ("staging", "production"):
        markdown = (ROOT / "report" / stack / "report.md").read_text()
        assert f"# Plan report: memory-platform / {stack}" in markdown
        assert (ROOT / "report" / stack / "architecture.svg").stat().st_size > 1000


def test_report_diffs_against_the_previous_plans_it_is_given(tmp_path: Path) -> None:
    """`make report PREVIOUS=dir` (the pull-request workflow's step) diffs each stack against dir/<stack>."""
    subprocess.run([BIN / "offline-plan", "--stack", "staging"], cwd=ROOT, check=True, capture_output=True)
    staging = json.loads((ROOT / "out" / "staging" / "resources.json").read_text())
    key = next(r for r in staging["resources"] if r["type"] == "aws:kms/key:Key")
    staging["resources"].remove(key)  # the base commit lacked this key
    (tmp_path / "staging").mkdir()
    (tmp_path / "staging" / "resources.json").write_text(json.dumps(staging))
    subprocess.run(["make", "report", f"PREVIOUS={tmp_path}"], cwd=ROOT, check=True, capture_output=True)
    staging_report = (ROOT / "report" / "staging" / "report.md").read_text()
    assert "+1 added, -0 removed" in staging_report
    assert "`aws:kms/key:Key`" in staging_report.split("## Changes against the previous plan")[1]
    assert "No previous plan was given" in (ROOT / "report" / "production" / "report.md").read_text()
