"""Every stack config value the GitHub workflows set reaches the stack-config parser and is accepted.

The workflows change config two ways: `pulumi config set` lines in `run:` steps, and the `config-map`
input of `pulumi/actions` (which calls the Automation API's `setAllConfig` without `--path`). Both are
read from the YAML itself, applied to the stack file the way the CLI would, and parsed with
`parse_stack_config`, so a key the program rejects (`memory-platform:apiImage`) fails here, not in `up`.
"""

from __future__ import annotations

import copy
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.config import parse_stack_config
from offline_plan.document import PlanDocument

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
STACKS = ("staging", "production")
# Declared inputs of pulumi/actions v7.0.0 (action.yml at
# https://github.com/pulumi/actions/blob/v7.0.0/action.yml). An undeclared input such as `configMap` is
# ignored by the action with only a warning, so config it carries would silently never be set.
PULUMI_ACTION_INPUTS = frozenset(
    [
        "command",
        "stack-name",
        "pulumi-version",
        "pulumi-version-file",
        "work-dir",
        "comment-on-pr",
        "comment-on-pr-number",
        "comment-on-summary",
        "github-token",
        "cloud-url",
        "secrets-provider",
        "parallel",
        "message",
        "config-map",
        "expect-no-changes",
        "diff",
        "replace",
        "exclude",
        "exclude-dependents",
        "target",
        "target-dependents",
        "policyPacks",
        "policyPackConfigs",
        "refresh",
        "upsert",
        "remove",
        "edit-pr-comment",
        "color",
        "exclude-protected",
        "plan",
        "suppress-outputs",
        "suppress-progress",
        "always-include-summary",
        "continue-on-error",
        "log-verbosity",
        "log-flow",
        "debug",
    ]
)
# What CI expressions evaluate to on a real run (a commit SHA, the image job's full image reference).
COMMIT = "0123456789abcdef0123456789abcdef01234567"
EXPRESSIONS = {
    "github.sha": COMMIT,
    "needs.image.outputs.image": f"123456789012.dkr.ecr.us-east-1.amazonaws.com/memory-api:{COMMIT}",
}


def _evaluate(text: str, matrix: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        expression = match.group(1).strip()
        if expression.startswith("matrix."):
            return matrix[expression.removeprefix("matrix.")]
        return EXPRESSIONS.get(expression, f"<{expression}>")

    return re.sub(r"\$\{\{(.*?)\}\}", value, text)


def _expand_shell(word: str, env: dict[str, str]) -> str:
    return re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: env.get(m.group(1), m.group(0)), word)


def _config_sets(command: str) -> list[tuple[str | None, bool, str, str]]:
    """(stack, path, key, value) of each `pulumi config set` in a shell script."""
    found = []
    for line in command.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        if words[:3] != ["pulumi", "config", "set"]:
            continue
        stack, path, positional = None, False, []
        rest = iter(words[3:])
        for word in rest:
            if word in ("--stack", "-s"):
                stack = next(rest)
            elif word.startswith("--stack="):
                stack = word.split("=", 1)[1]
            elif word == "--path":
                path = True
            elif word in ("--plaintext", "--secret"):
                continue
            else:
                positional.append(word)
        assert len(positional) == 2, f"`{line}`: expected `pulumi config set KEY VALUE`"
        found.append((stack, path, positional[0], positional[1]))
    return found


def _matrices(job: dict[str, Any]) -> list[dict[str, str]]:
    include = job.get("strategy", {}).get("matrix", {}).get("include")
    return list(include) if include else [{}]


def workflow_config_sets() -> list[tuple[str, str, bool, str, str]]:
    """(where, stack, path, key, value) of every config change any workflow makes."""
    changes = []
    for workflow in WORKFLOWS:
        for job_name, job in yaml.safe_load(workflow.read_text())["jobs"].items():
            for matrix in _matrices(job):
                for index, step in enumerate(job["steps"]):
                    where = f"{workflow.name}:{job_name}:step {index + 1}"
                    uses = str(step.get("uses", ""))
                    inputs = {
                        key: _evaluate(str(value), matrix) for key, value in step.get("with", {}).items()
                    }
                    if uses.startswith("pulumi/actions@"):
                        unknown = sorted(set(inputs) - PULUMI_ACTION_INPUTS)
                        assert not unknown, f"{where}: pulumi/actions ignores undeclared input(s) {unknown}"
                        if "config-map" in inputs:
                            for key, entry in yaml.safe_load(inputs["config-map"]).items():
                                changes.append((where, inputs["stack-name"], False, key, str(entry["value"])))
                    env = {key: _evaluate(str(value), matrix) for key, value in step.get("env", {}).items()}
                    for stack, path, key, value in _config_sets(_evaluate(str(step.get("run", "")), matrix)):
                        assert stack is not None, f"{where}: `pulumi config set {key}` must name --stack"
                        changes.append(
                            (where, _expand_shell(stack, env), path, key, _expand_shell(value, env))
                        )
    return changes


def _apply(config: dict[str, Any], path: bool, key: str, value: str) -> None:
    if not path:
        config[key] = value
        return
    namespace, _, dotted = key.partition(":")
    top, *rest = dotted.split(".")
    node = config.setdefault(f"{namespace}:{top}", {})
    for part in rest[:-1]:
        node = node.setdefault(part, {})
    if rest:
        node[rest[-1]] = value
    else:
        config[f"{namespace}:{top}"] = value


def test_the_release_workflow_deploys_the_commit_image_on_both_stacks() -> None:
    deployed = {
        stack
        for _, stack, path, key, value in workflow_config_sets()
        if (path, key, value) == (True, "memory-platform:memoryApi.image", COMMIT)
    }
    assert deployed == set(STACKS)


@pytest.mark.parametrize("stack", STACKS)
def test_every_workflow_config_set_is_accepted_by_the_stack_config_parser(stack: str) -> None:
    stack_file = f"Pulumi.{stack}.yaml"
    base = yaml.safe_load((ROOT / stack_file).read_text())["config"]
    changes = [change for change in workflow_config_sets() if change[1] == stack]
    config = copy.deepcopy(base)
    for _, _, path, key, value in changes:
        _apply(config, path, key, value)
    prefix = "memory-platform:"
    ours = {key.removeprefix(prefix): value for key, value in config.items() if key.startswith(prefix)}
    parsed = parse_stack_config(ours, primary_region=config["aws:region"], stack_file=stack_file)
    assert parsed.memory_api.image == COMMIT


def test_the_release_workflow_pushes_the_image_to_every_repository_a_stack_pulls_from(
    staging_plan: PlanDocument, production_plan: PlanDocument
) -> None:
    """Each stack pulls from its own region's repository (`memoryApiRepositoryUrl`); an image pushed to one
    registry only would leave the other stack's pods in ImagePullBackOff."""
    release = yaml.safe_load((ROOT / ".github" / "workflows" / "release.yml").read_text())
    pushes = [
        step
        for step in release["jobs"]["image"]["steps"]
        if "docker push" in step.get("run", "") and "REPOSITORIES" in step.get("env", {})
    ]
    assert len(pushes) == 1, "one step pushes the scanned image to every stack's repository"
    targets = {tuple(t.split("=", 1)) for t in pushes[0]["env"]["REPOSITORIES"].split()}
    pulled = set()
    for plan in (staging_plan, production_plan):
        registry, _, repository = plan.outputs["memoryApiRepositoryUrl"].partition("/")
        region = registry.split(".")[3]  # <account>.dkr.ecr.<region>.amazonaws.com
        pulled.add((region, repository))
    assert targets == pulled
