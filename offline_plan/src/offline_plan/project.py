"""Reads a Pulumi project and one stack's config the way the engine hands them to a program.

Both files are read with YAML 1.2 scalars, as the Pulumi CLI reads them (`off`, `yes` and `no` stay
strings). Project-level `config:` in `Pulumi.yaml` gives every stack a value (`value:`), a default
(`default:`, or a plain value) and a declared `type:` the stack's value must have. A stack without a
`Pulumi.<stack>.yaml` plans on the project's config alone, as `pulumi preview` does on a new stack.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from offline_plan.settings import StackSettings

__all__ = ["SECRET_PLACEHOLDER", "ProjectError", "StackSettings", "load_stack", "read_project"]

SECRET_PLACEHOLDER = "offline-plan-placeholder-secret"  # noqa: S105 - a marker, not a password
_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


class ProjectError(Exception):
    """The project or stack file cannot be read; the message says which file and why."""


def read_project(project_dir: Path) -> dict[str, Any]:
    """`Pulumi.yaml` of `project_dir`, checked to be a Python project."""
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
    return project


def load_stack(project_dir: Path, stack: str) -> StackSettings:
    """Project name, program path and namespaced config of `stack`; `secure:` values become placeholders."""
    project = read_project(project_dir)
    project_file = project_dir / "Pulumi.yaml"
    name = project["name"]
    main = (project_dir / str(project.get("main", "."))).resolve()
    if not (main / "__main__.py").is_file() and not main.is_file():
        raise ProjectError(f"{project_file}: main {main} has no __main__.py")

    stack_file = project_dir / f"Pulumi.{stack}.yaml"
    stack_config = (_read_yaml(stack_file).get("config") or {}) if stack_file.is_file() else {}
    if not isinstance(stack_config, dict):
        raise ProjectError(f"{stack_file}: 'config' must be a mapping")
    stack_config = {_full_key(key, name): value for key, value in stack_config.items()}
    declared = _project_config(project, name, project_file)

    merged: dict[str, Any] = {}
    for key, spec in declared.items():
        if "value" in spec:
            merged[key] = spec["value"]
        elif "default" in spec:
            merged[key] = spec["default"]
    merged.update(stack_config)

    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for full_key, value in merged.items():
        spec = declared.get(full_key, {})
        if isinstance(value, dict) and set(value) == {"secure"}:
            # URL-shaped: programs checking a secret is an https URL accept it; .invalid never resolves.
            config[full_key] = f"https://{SECRET_PLACEHOLDER}.invalid/{full_key}"
            secret_keys.append(full_key)
            continue
        if _contains_secure(value):
            raise ProjectError(
                f"{stack_file}: {full_key} holds a secure value inside a structure; keep secrets top-level"
            )
        _check_type(full_key, value, spec, stack_file)
        config[full_key] = value if isinstance(value, str) else json.dumps(value)
    missing = [key for key, spec in declared.items() if "type" in spec and key not in merged]
    if missing:
        raise ProjectError(
            f"{stack_file}: missing configuration value(s) {', '.join(sorted(missing))}, which "
            f"{project_file} declares without a default; set them in {stack_file.name}"
        )
    return StackSettings(name, stack, project_dir.resolve(), main, stack_file, config, secret_keys)


def _full_key(key: str, project: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def _project_config(project: dict[str, Any], name: str, project_file: Path) -> dict[str, dict[str, Any]]:
    """Project-level config by full key: `{"value"|"default"|"type": ...}`; a plain value is a default."""
    section = project.get("config") or {}
    if not isinstance(section, dict):
        raise ProjectError(f"{project_file}: 'config' must be a mapping")
    declared: dict[str, dict[str, Any]] = {}
    for key, spec in section.items():
        full_key = _full_key(str(key), name)
        if (
            isinstance(spec, dict)
            and {"type", "default", "value", "description", "secret", "items"} >= set(spec)
            and spec
        ):
            kind = spec.get("type")
            if kind is not None and kind not in _TYPES:
                raise ProjectError(
                    f"{project_file}: config {key}: type {kind!r} is not one of {', '.join(_TYPES)}"
                )
            if (
                ":" in str(key)
                and not str(key).startswith(f"{name}:")
                and ("type" in spec or "default" in spec)
            ):
                raise ProjectError(
                    f"{project_file}: config {key}: another package's key takes only 'value:', "
                    "not 'type:' or 'default:'"
                )
            declared[full_key] = {k: v for k, v in spec.items() if k in {"type", "default", "value"}}
        elif spec is not None:
            declared[full_key] = {"default": spec}
    return declared


def _check_type(key: str, value: Any, spec: dict[str, Any], stack_file: Path) -> None:
    kind = spec.get("type")
    if kind is None:
        return
    allowed = _TYPES[kind]
    if not isinstance(value, allowed) or (kind == "integer" and isinstance(value, bool)):
        raise ProjectError(
            f"{stack_file}: {key} is {value!r}, but Pulumi.yaml declares it of type {kind}; "
            f"give it a {kind} value"
        )


def _contains_secure(value: Any) -> bool:
    if isinstance(value, dict):
        return "secure" in value or any(_contains_secure(item) for item in value.values())
    if isinstance(value, list):
        return any(_contains_secure(item) for item in value)
    return False


def _plain_scalars(value: Any) -> Any:
    """Timestamps stay the strings they were written as (the CLI does not type them)."""
    if isinstance(value, dict):
        return {str(key): _plain_scalars(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain_scalars(item) for item in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = YAML(typ="safe", pure=True).load(path.read_text())
    except YAMLError as error:
        raise ProjectError(f"{path}: not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise ProjectError(f"{path}: expected a mapping at the top level")
    return _plain_scalars(data)  # type: ignore[no-any-return]
