"""Typed stack outputs that other tools read: the `disasterRecovery` output and its schema version.

The Pulumi program (the writer, `infra.components.disaster_recovery`) builds the output by validating a
`DisasterRecoveryOutputs` and dumping it by alias; `platform-ops` (the reader, `ops.config`) validates
the same model on read. This module imports only pydantic, so the operator tooling can use it without
loading the Pulumi SDK or any resource module.

Which region serves traffic is one stack-config value, `dr.activeRegion` (`ACTIVE_REGION_CONFIG_PATH`):
the program builds the Route 53 failover records from it, and after moving the writer `platform-ops`
prints the `pulumi config set` that records the move, so the next `pulumi up` keeps it.
"""

from __future__ import annotations

import re
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

OUTPUT_NAME = "disasterRecovery"
SCHEMA_VERSION = 1
ACTIVE_REGION_CONFIG_PATH = "dr.activeRegion"
DNS_KEYS = ("hostedZoneId", "apiHostname", "primaryApiTarget", "drApiTarget")
# The memory API's readiness path: its pods' readiness probe, the ALB's and Route 53's health checks, and
# the readiness check of `platform-ops dr failover` all ask it.
API_READINESS_PATH = "/health/ready"

CLUSTER_ARN = re.compile(r"^arn:aws[a-z-]*:rds:(?P<region>[a-z0-9-]+):\d{12}:cluster:(?P<id>[A-Za-z0-9-]+)$")
REGION = r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$"


def cluster_arn_region(arn: str) -> str | None:
    """The region part of an Aurora cluster ARN, or None when `arn` is not one."""
    match = CLUSTER_ARN.match(arn)
    return match.group("region") if match else None


def backup_max_age_hours(
    schedule_interval_hours: int, start_window_minutes: int, completion_minutes: int
) -> int:
    """The age past which the newest recovery point is late: one schedule interval plus both windows."""
    return schedule_interval_hours + -(-(start_window_minutes + completion_minutes) // 60)


class DisasterRecoveryOutputs(BaseModel):
    """The `disasterRecovery` stack output: identifiers of the global database, backups and API DNS."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="forbid")

    schema_version: Literal[1] = Field(
        default=1, alias="schemaVersion", description="Version of this output's shape (SCHEMA_VERSION)."
    )
    stack: str | None = Field(default=None, description="Pulumi stack that wrote the output.")
    project: str | None = Field(default=None, description="Pulumi project (the config namespace).")
    primary_region: str = Field(alias="primaryRegion", pattern=REGION, description="Region of the primary.")
    dr_region: str = Field(alias="drRegion", pattern=REGION, description="Region of the DR secondary.")
    active_region: str | None = Field(
        default=None,
        alias="activeRegion",
        pattern=REGION,
        description="Region the stack config says serves traffic (dr.activeRegion); primaryRegion if unset.",
    )
    global_cluster_identifier: str = Field(alias="globalClusterIdentifier", min_length=1)
    primary_cluster_identifier: str = Field(alias="primaryClusterIdentifier", min_length=1)
    primary_cluster_arn: str = Field(alias="primaryClusterArn", pattern=CLUSTER_ARN.pattern)
    secondary_cluster_identifier: str = Field(alias="secondaryClusterIdentifier", min_length=1)
    secondary_cluster_arn: str = Field(alias="secondaryClusterArn", pattern=CLUSTER_ARN.pattern)
    backup_vault_name: str = Field(alias="backupVaultName", min_length=1)
    dr_backup_vault_name: str = Field(alias="drBackupVaultName", min_length=1)
    rpo_minutes: int = Field(
        alias="rpoMinutes", gt=0, description="Largest acceptable replication lag of the secondary."
    )
    backup_max_age_hours: int = Field(
        default=31,
        alias="backupMaxAgeHours",
        gt=0,
        description="Age past which the newest backup is late (schedule interval plus start and completion "
        "windows; 24 h + 1 h + 6 h for the daily plan).",
    )
    primary_db_subnet_group_name: str | None = Field(
        default=None,
        alias="primaryDbSubnetGroupName",
        description="Subnet group for restores in primaryRegion.",
    )
    primary_db_security_group_id: str | None = Field(
        default=None,
        alias="primaryDbSecurityGroupId",
        description="Security group for restores in primaryRegion.",
    )
    dr_db_subnet_group_name: str | None = Field(
        default=None, alias="drDbSubnetGroupName", description="Subnet group for restores in drRegion."
    )
    dr_db_security_group_id: str | None = Field(
        default=None, alias="drDbSecurityGroupId", description="Security group for restores in drRegion."
    )
    # The DR region's compute (pilot light), which `platform-ops dr failover` scales up.
    primary_cluster_name: str | None = Field(
        default=None, alias="primaryClusterName", description="EKS cluster in primaryRegion."
    )
    dr_cluster_name: str | None = Field(
        default=None, alias="drClusterName", description="EKS cluster in drRegion."
    )
    api_namespace: str | None = Field(
        default=None, alias="apiNamespace", description="Namespace of the memory API in both clusters."
    )
    api_deployment: str | None = Field(
        default=None, alias="apiDeployment", description="Deployment name of the memory API."
    )
    qdrant_namespace: str | None = Field(
        default=None, alias="qdrantNamespace", description="Namespace of Qdrant in both clusters."
    )
    qdrant_stateful_set: str | None = Field(
        default=None, alias="qdrantStatefulSet", description="StatefulSet name of Qdrant."
    )
    dr_api_replicas: int | None = Field(
        default=None,
        alias="drApiReplicas",
        ge=1,
        description="Replicas `dr failover` scales the DR region's memory API to.",
    )
    dr_qdrant_replicas: int | None = Field(
        default=None,
        alias="drQdrantReplicas",
        ge=1,
        description="Replicas `dr failover` scales the DR region's Qdrant to.",
    )
    hosted_zone_id: str | None = Field(default=None, alias="hostedZoneId")
    api_hostname: str | None = Field(default=None, alias="apiHostname")
    primary_api_target: str | None = Field(default=None, alias="primaryApiTarget")
    dr_api_target: str | None = Field(default=None, alias="drApiTarget")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.primary_region == self.dr_region:
            raise ValueError("drRegion must differ from primaryRegion")
        if self.active_region is not None and self.active_region not in (self.primary_region, self.dr_region):
            raise ValueError(
                f"activeRegion {self.active_region} is neither primaryRegion {self.primary_region} "
                f"nor drRegion {self.dr_region}"
            )
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
            match = CLUSTER_ARN.match(arn)
            if match is None:  # pragma: no cover - the field pattern rejects it first
                raise ValueError(f"{key} is not an Aurora cluster ARN")
            if match.group("region") != region:
                raise ValueError(f"{key} is in {match.group('region')}, expected {region}")
            if match.group("id") != ident:
                raise ValueError(f"{key} names cluster {match.group('id')!r}, expected {ident!r}")
        values = dict(zip(DNS_KEYS, self._dns_tuple(), strict=True))
        set_keys = [k for k, v in values.items() if v]
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
    def configured_active_region(self) -> str:
        """The region the stack config makes active (the primary region unless dr.activeRegion says so)."""
        return self.active_region or self.primary_region

    def config_set_command(self, region: str) -> str:
        """The exact `pulumi config set` that makes the next `pulumi up` keep `region` active."""
        key = f"{self.project}:{ACTIVE_REGION_CONFIG_PATH}" if self.project else ACTIVE_REGION_CONFIG_PATH
        stack = f" --stack {self.stack}" if self.stack else ""
        return f"pulumi config set{stack} --path '{key}' {region}"


def regional_hostname(api_hostname: str, region: str) -> str:
    """`api.memory.example.com`, `us-west-2` -> `api-us-west-2.memory.example.com`: the region's own name.

    Each region's load balancer answers for the API hostname and for this name (its Ingress has a rule
    for both); Route 53's health check of the region probes this name, so the Host header it sends
    (HealthCheckConfig.FullyQualifiedDomainName, port 443) matches an Ingress rule. The failover records
    of the API hostname point at these names, and each region's name is a CNAME to its load balancer.
    """
    first, _, rest = api_hostname.partition(".")
    if not rest:
        raise ValueError(f"{api_hostname!r} has no parent domain to put a regional name under")
    return f"{first}-{region}.{rest}"


def failover_targets(active_region: str, primary_region: str, primary: str, dr: str) -> tuple[str, str]:
    """(PRIMARY record target, SECONDARY record target) when `active_region` serves traffic.

    One definition for the Pulumi program (which registers the records) and `platform-ops` (which
    rewrites them during a failover), so the two always agree on what "active in region X" looks like.
    """
    return (primary, dr) if active_region == primary_region else (dr, primary)
