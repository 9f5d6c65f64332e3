"""Reads a Pulumi project and one stack's config the way the engine hands them to a program."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SECRET_PLACEHOLDER = "offline-plan-placeholder-secret"  # noqa: S105 - a marker, not a password


class ProjectError(Exception):
    """The project or stack file cannot be read; the message says which file and why."""


@dataclass(frozen=True)
class StackSettings:
    project: str
    stack: str
    project_dir: Path
    main: Path
    stack_file: Path
    config: dict[str, str]
    secret_keys: list[str] = field(default_factory=list)


def load_stack(project_dir: Path, stack: str) -> StackSettings:
    """Project name, program path and namespaced config of `stack`; `secure:` values become placeholders."""
    project_file = project_dir / "Pulumi.yaml"
    if not project_file.is_file():
        raise ProjectError(f"{project_file}: not found; --program must name a folder with a Pulumi.yaml")
    project = _read_yaml(project_file)
    name = project.get("name")
    if not isinstance(name, str) or not name:
        raise ProjectError(f"{project_file}: 'name' is required")
    runtime = project.get("runtime")
    runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if runtime_name != "python":
        raise ProjectError(
            f"{project_file}: runtime is {runtime_name!r}; the offline plan runs Python programs"
        )
    main = (project_dir / str(project.get("main", "."))).resolve()
    if not (main / "__main__.py").is_file() and not main.is_file():
        raise ProjectError(f"{project_file}: main {main} has no __main__.py")

    stack_file = project_dir / f"Pulumi.{stack}.yaml"
    if not stack_file.is_file():
        raise ProjectError(f"{stack_file}: not found; create it or pick a stack with --stack")
    stack_config = _read_yaml(stack_file).get("config") or {}
    if not isinstance(stack_config, dict):
        raise ProjectError(f"{stack_file}: 'config' must be a mapping")

    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in {**_project_defaults(project, name), **stack_config}.items():
        full_key = key if ":" in key else f"{name}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            # URL-shaped: programs checking a secret is an https URL accept it; .invalid never resolves.
            config[full_key] = f"https://{SECRET_PLACEHOLDER}.invalid/{full_key}"
            secret_keys.append(full_key)
        elif _contains_secure(value):
            raise ProjectError(
                f"{stack_file}: {full_key} holds a secure value inside a structure; keep secrets top-level"
            )
        else:
            config[full_key] = value if isinstance(value, str) else json.dumps(value)
    return StackSettings(name, stack, project_dir.resolve(), main, stack_file, config, secret_keys)


def _project_defaults(project: dict[str, Any], name: str) -> dict[str, Any]:
    defaults: dict[str, Any] = {}
    for key, spec in (project.get("config") or {}).items():
        value = (
            spec.get("default") if isinstance(spec, dict) and ("type" in spec or "default" in spec) else spec
        )
        if value is not None:
            defaults[key if ":" in key else f"{name}:{key}"] = value
    return defaults


def _contains_secure(value: Any) -> bool:
    if isinstance(value, dict):
        return "secure" in value or any(_contains_secure(item) for item in value.values())
    if isinstance(value, list):
        return any(_contains_secure(item) for item in value)
    return False


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise ProjectError(f"{path}: not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise ProjectError(f"{path}: expected a mapping at the top level")
    return data
