"""The deployment's DR identifiers, read from the Pulumi stack outputs file and/or command-line flags.

Contract with the Pulumi program: one stack output `disasterRecovery`, typed by
`infra.contracts.DisasterRecoveryOutputs` (owned by the program that writes it, validated here on read).
Nothing here is hard-coded; a flag overrides the same key from the file. A bad or missing key fails with
one message naming the key and how to fix it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from infra.contracts import OUTPUT_NAME, SCHEMA_VERSION, DisasterRecoveryOutputs
from infra.contracts import cluster_arn_region as _arn_region
from ops.errors import ConfigError

REGENERATE_HINT = "pulumi stack output --json > outputs.json"
NOT_FLAGS = frozenset({"schemaVersion"})


def cluster_arn_region(arn: str) -> str:
    """The region part of an Aurora cluster ARN (global database calls must go to the cluster's region)."""
    region = _arn_region(arn)
    if region is None:
        raise ConfigError(
            f"{arn!r} is not an Aurora cluster ARN", "use arn:aws:rds:<region>:<account>:cluster:<id>"
        )
    return region


class DrConfig(DisasterRecoveryOutputs):
    """The validated `disasterRecovery` output plus what the operator tooling derives from it."""

    @property
    def rpo_seconds(self) -> int:
        return self.rpo_minutes * 60

    @property
    def backup_max_age_seconds(self) -> int:
        return self.backup_max_age_hours * 3600

    def region_of(self, which: str) -> str:
        """`primary`/`dr` -> the region name."""
        return self.primary_region if which == "primary" else self.dr_region

    def api_target_for_region(self, region: str) -> str:
        """The DNS name the API hostname should point at when `region` holds the writer."""
        target = self.primary_api_target if region == self.primary_region else self.dr_api_target
        if region not in (self.primary_region, self.dr_region) or target is None:
            raise ConfigError(
                f"no API target is configured for region {region}",
                "set primaryApiTarget/drApiTarget in the disasterRecovery output or pass the flags",
            )
        return target


def flag_for(alias: str) -> str:
    """`rpoMinutes` -> `--rpo-minutes`: the flag that overrides one outputs key."""
    return "--" + re.sub(r"(?<!^)(?=[A-Z])", "-", alias).lower()


def config_aliases() -> list[str]:
    """The outputs keys a flag can override (every key but the schema version)."""
    aliases = [field.alias or name for name, field in DrConfig.model_fields.items()]
    return [alias for alias in aliases if alias not in NOT_FLAGS]


def load_config(outputs_path: Path | None, overrides: dict[str, Any]) -> DrConfig:
    """Merge the outputs file's `disasterRecovery` object with flag overrides (keyed by camelCase alias)."""
    values: dict[str, Any] = {}
    if outputs_path is not None:
        values.update(_read_outputs(outputs_path))
    values.update({k: v for k, v in overrides.items() if v is not None})
    source = str(outputs_path) if outputs_path else "the flags"
    version = values.get("schemaVersion", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise ConfigError(
            f"{OUTPUT_NAME} in {source} has schemaVersion {version!r}; this platform-ops reads "
            f"schemaVersion {SCHEMA_VERSION}",
            "use the platform-ops of the same commit as the deployed program, then re-run "
            f"`{REGENERATE_HINT}`",
        )
    try:
        return DrConfig.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        if not key:
            problem = f"{OUTPUT_NAME} in {source} is inconsistent: {message}"
        elif first["type"] == "missing":
            problem = f"{OUTPUT_NAME}.{key} is missing in {source}"
        elif first["type"] == "extra_forbidden":
            problem = f"{OUTPUT_NAME}.{key} in {source} is not a key of schemaVersion {SCHEMA_VERSION}"
        else:
            problem = f"{OUTPUT_NAME}.{key} in {source} is invalid: {message}"
        flag = flag_for(key) if key in config_aliases() else "the matching flags"
        raise ConfigError(
            problem,
            f"export it from the Pulumi program's `{OUTPUT_NAME}` output and re-run `{REGENERATE_HINT}`, "
            f"or pass {flag}",
        ) from None


def _read_outputs(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"outputs file {path} does not exist", f"create it with `{REGENERATE_HINT}`"
        ) from None
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"outputs file {path} is not JSON ({exc.msg} at line {exc.lineno})",
            f"re-create it with `{REGENERATE_HINT}`",
        ) from None
    if not isinstance(document, dict) or OUTPUT_NAME not in document:
        raise ConfigError(
            f"outputs file {path} has no `{OUTPUT_NAME}` output",
            f"deploy a stack that exports `{OUTPUT_NAME}`, then re-run `{REGENERATE_HINT}`",
        )
    section = document[OUTPUT_NAME]
    if not isinstance(section, dict):
        raise ConfigError(
            f"`{OUTPUT_NAME}` in {path} is {type(section).__name__}, expected an object",
            f"export `{OUTPUT_NAME}` as an object with the keys listed in docs/runbooks/README.md",
        )
    return section
