"""The deployment's DR identifiers, read from the Pulumi stack outputs file and/or command-line flags.

Contract with the Pulumi program: one stack output `disasterRecovery`, an object whose camelCase keys are
the aliases of `DrConfig` below. Nothing here is hard-coded; a flag overrides the same key from the file.
A bad or missing key fails with one message naming the key and how to fix it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ops.errors import ConfigError

OUTPUT_NAME = "disasterRecovery"
REGENERATE_HINT = "pulumi stack output --json > outputs.json"

_CLUSTER_ARN = re.compile(r"^arn:aws[a-z-]*:rds:(?P<region>[a-z0-9-]+):\d{12}:cluster:(?P<id>[A-Za-z0-9-]+)$")
_REGION = r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$"
DNS_KEYS = ("hostedZoneId", "apiHostname", "primaryApiTarget", "drApiTarget")


def cluster_arn_region(arn: str) -> str:
    """The region part of an Aurora cluster ARN (global database calls must go to the cluster's region)."""
    match = _CLUSTER_ARN.match(arn)
    if match is None:
        raise ConfigError(
            f"{arn!r} is not an Aurora cluster ARN", "use arn:aws:rds:<region>:<account>:cluster:<id>"
        )
    return match.group("region")


class DrConfig(BaseModel):
    """Identifiers of the Aurora global database, its backups and the API's DNS records."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    primary_region: str = Field(alias="primaryRegion", pattern=_REGION, description="Region of the writer")
    dr_region: str = Field(alias="drRegion", pattern=_REGION, description="Region of the DR secondary")
    global_cluster_identifier: str = Field(alias="globalClusterIdentifier", min_length=1)
    primary_cluster_identifier: str = Field(alias="primaryClusterIdentifier", min_length=1)
    primary_cluster_arn: str = Field(alias="primaryClusterArn", pattern=_CLUSTER_ARN.pattern)
    secondary_cluster_identifier: str = Field(alias="secondaryClusterIdentifier", min_length=1)
    secondary_cluster_arn: str = Field(alias="secondaryClusterArn", pattern=_CLUSTER_ARN.pattern)
    backup_vault_name: str = Field(alias="backupVaultName", min_length=1)
    dr_backup_vault_name: str = Field(alias="drBackupVaultName", min_length=1)
    rpo_minutes: int = Field(alias="rpoMinutes", gt=0, description="Oldest acceptable newest backup")
    hosted_zone_id: str | None = Field(default=None, alias="hostedZoneId")
    api_hostname: str | None = Field(default=None, alias="apiHostname")
    primary_api_target: str | None = Field(default=None, alias="primaryApiTarget")
    dr_api_target: str | None = Field(default=None, alias="drApiTarget")

    @model_validator(mode="after")
    def _consistent(self) -> DrConfig:
        if self.primary_region == self.dr_region:
            raise ValueError("drRegion must differ from primaryRegion")
        for key, arn, region, ident in (
            (
                "primaryClusterArn",
                self.primary_cluster_arn,
                self.primary_region,
                self.primary_cluster_identifier,
            ),
            (
                "secondaryClusterArn",
                self.secondary_cluster_arn,
                self.dr_region,
                self.secondary_cluster_identifier,
            ),
        ):
            match = _CLUSTER_ARN.match(arn)
            assert match is not None  # enforced by the field pattern
            if match.group("region") != region:
                raise ValueError(f"{key} is in {match.group('region')}, expected {region}")
            if match.group("id") != ident:
                raise ValueError(f"{key} names cluster {match.group('id')!r}, expected {ident!r}")
        dns_values = dict(zip(DNS_KEYS, self._dns_tuple(), strict=True))
        set_keys = [k for k, v in dns_values.items() if v]
        if set_keys and len(set_keys) != len(DNS_KEYS):
            missing = ", ".join(k for k in DNS_KEYS if k not in set_keys)
            raise ValueError(f"DNS flip needs all of {', '.join(DNS_KEYS)}; missing {missing}")
        return self

    def _dns_tuple(self) -> tuple[str | None, ...]:
        return (self.hosted_zone_id, self.api_hostname, self.primary_api_target, self.dr_api_target)

    @property
    def dns_configured(self) -> bool:
        """True when the API hostname's Route 53 records should follow the writer region."""
        return all(self._dns_tuple())

    @property
    def rpo_seconds(self) -> int:
        return self.rpo_minutes * 60

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
    return [field.alias or name for name, field in DrConfig.model_fields.items()]


def load_config(outputs_path: Path | None, overrides: dict[str, Any]) -> DrConfig:
    """Merge the outputs file's `disasterRecovery` object with flag overrides (keyed by camelCase alias)."""
    values: dict[str, Any] = {}
    if outputs_path is not None:
        values.update(_read_outputs(outputs_path))
    values.update({k: v for k, v in overrides.items() if v is not None})
    source = str(outputs_path) if outputs_path else "the flags"
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
