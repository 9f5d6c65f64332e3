"""Typed stack configuration, read once at the edge of the program.

`Pulumi.<stack>.yaml` holds every value that differs between stacks; components receive the parts
of `StackConfig` they need and never read `pulumi.Config` themselves. Keys are camelCase in the
stack files (the Pulumi convention) and snake_case in Python. A bad value stops the program before
any resource is registered, with one line per problem naming the key, the stack file and what is
allowed (see `StackConfigError`).
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping
from typing import Any, Literal, Self

import pulumi
from pulumi.runtime import config as runtime_config
from pydantic import ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.alias_generators import to_camel

from infra.components.aurora import DatabaseConfig
from infra.components.ci_runner import CiRunnerConfig
from infra.components.disaster_recovery_config import DisasterRecoveryConfig
from infra.components.eks_config import ClusterConfig
from infra.components.eks_nodes import NodePool, reference_pools
from infra.components.memory_api_config import MemoryApiConfig
from infra.components.network import NatStrategy, NetworkConfig
from infra.components.observability_config import ObservabilityConfig
from infra.components.qdrant_config import QdrantConfig
from infra.components.redis import CLUSTER_MODE_REFUSED, CacheConfig
from infra.config_types import ConfigModel
from infra.monitoring_data.alertmanager import ReceiverCredentials
from infra.standards import INSTANCE_FAMILIES, REQUIRED_TAGS

__all__ = [
    "INSTANCE_FAMILIES",
    "PROJECT_NAMESPACE",
    "REQUIRED_TAGS",
    "StackConfig",
    "StackConfigError",
    "Tags",
    "load",
    "load_alert_receivers",
    "parse_alert_receivers",
    "parse_stack_config",
    "stack_file_schema",
]

PROJECT_NAMESPACE = "memory-platform"
# Aurora global databases run only on memory-optimised classes (db.r*, db.x2g), never burstable db.t*.
GLOBAL_DATABASE_FAMILY_PREFIXES = ("r5", "r6", "r7", "r8", "x2")


class Tags(ConfigModel):
    """Cost-allocation tags applied to every taggable AWS resource."""

    model_config = ConfigDict(frozen=True, extra="allow", populate_by_name=True)

    owner: str = Field(min_length=1, description="Team that owns the stack.")
    cost_center: str = Field(alias="cost-center", min_length=1, description="Cost center to bill.")
    environment: str = Field(min_length=1, description="Environment name; matches `environment`.")

    def as_dict(self) -> dict[str, str]:
        extra = {str(key): str(value) for key, value in (self.model_extra or {}).items()}
        base = {"owner": self.owner, "cost-center": self.cost_center, "environment": self.environment}
        return {**extra, **base}


class StackConfig(ConfigModel):
    """Everything a stack file configures; the only input of the program."""

    environment: Literal["staging", "production"] = Field(description="staging or production.")
    primary_region: str = Field(description="AWS region of the platform (from `aws:region`).")
    tags: Tags = Field(description="owner, cost-center and environment are required.")
    network: NetworkConfig = Field(default_factory=NetworkConfig, description="The VPC.")
    cluster: ClusterConfig = Field(default_factory=ClusterConfig, description="The EKS cluster.")
    ci_runner: CiRunnerConfig = Field(
        default_factory=CiRunnerConfig, description="In-VPC GitHub Actions runners that deploy the stack."
    )
    node_pools: tuple[NodePool, ...] = Field(
        default_factory=reference_pools, description="EKS managed node groups."
    )
    database: DatabaseConfig = Field(default_factory=DatabaseConfig, description="Aurora PostgreSQL.")
    cache: CacheConfig = Field(default_factory=CacheConfig, description="ElastiCache Redis/Valkey.")
    dr: DisasterRecoveryConfig = Field(
        default_factory=DisasterRecoveryConfig, description="Disaster-recovery replicas."
    )
    qdrant: QdrantConfig = Field(default_factory=QdrantConfig, description="The Qdrant StatefulSet.")
    memory_api: MemoryApiConfig = Field(
        default_factory=MemoryApiConfig, description="The memory API Deployment and its exposure."
    )
    observability: ObservabilityConfig = Field(
        default_factory=ObservabilityConfig, description="Monitoring, logging and tracing."
    )

    @field_validator("primary_region")
    @classmethod
    def _region_name(cls, value: str) -> str:
        return _region(value)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.tags.environment != self.environment:
            raise ValueError(
                f"tags.environment ('{self.tags.environment}') must equal environment ('{self.environment}')"
            )
        names = [pool.name for pool in self.node_pools]
        if len(set(names)) != len(names):
            raise ValueError(f"nodePools names must be unique, got {names}")
        if not any(pool.name == "application" for pool in self.node_pools):
            raise ValueError("nodePools must include an 'application' pool for the memory API")
        if self.network.nat_strategy == NatStrategy.NONE:
            raise ValueError(
                "network.natStrategy 'none' leaves the EKS nodes without egress; "
                "use single or one_per_az ('none' is for dr.natStrategy)"
            )
        if self.environment == "production":
            self._production_safeguards()
        self._workloads_fit()
        if self.dr.enabled:
            self._disaster_recovery_consistent()
        if self.dr.dns is not None and (not self.dr.enabled or self.memory_api.host is None):
            raise ValueError(
                "dr.dns fails the API hostname over between two regions: it needs dr.enabled true and "
                "memoryApi.host (the hostname its failover records publish)"
            )
        if (
            self.dr.dns is not None
            and not self.dr.compute.enabled
            and self.dr.dns.dr_load_balancer_hostname is None
        ):
            raise ValueError(
                "dr.dns needs a load balancer in the DR region to fail over to: turn on dr.compute "
                "(its Ingress provides one) or set dr.dns.drLoadBalancerHostname"
            )
        return self

    def _workloads_fit(self) -> None:
        if self.cache.cluster_mode:
            raise ValueError(CLUSTER_MODE_REFUSED)
        database = next((pool for pool in self.node_pools if pool.name == "database"), None)
        if database is None:
            raise ValueError("nodePools must include a 'database' pool for Qdrant")
        if self.qdrant.replicas > database.max_nodes:
            raise ValueError(
                f"qdrant.replicas ({self.qdrant.replicas}) exceeds the database pool's maxNodes "
                f"({database.max_nodes}); each peer needs its own node, so lower replicas or raise maxNodes"
            )

    def _disaster_recovery_consistent(self) -> None:
        family = self.database.instance_family
        if not family.startswith(GLOBAL_DATABASE_FAMILY_PREFIXES):
            raise ValueError(
                f"database.instanceClass '{self.database.instance_class}' cannot join an Aurora global "
                "database (dr.enabled is true); global databases need a memory-optimised class such as "
                "db.r6g, db.r7g, db.r6i or db.r5, burstable db.t* classes are not allowed"
            )
        if self.dr.region is None:
            raise ValueError("dr.region is required when dr.enabled is true, e.g. 'us-west-2'")
        _region(self.dr.region)
        if self.dr.region == self.primary_region:
            raise ValueError(f"dr.region must differ from aws:region ('{self.primary_region}')")
        if self.dr.active_region not in (None, self.primary_region, self.dr.region):
            raise ValueError(
                f"dr.activeRegion '{self.dr.active_region}' must be aws:region ('{self.primary_region}') "
                f"or dr.region ('{self.dr.region}')"
            )
        primary = ipaddress.ip_network(self.network.vpc_cidr)
        secondary = ipaddress.ip_network(self.dr.vpc_cidr)
        if primary.overlaps(secondary):
            raise ValueError(
                f"dr.vpcCidr ({secondary}) overlaps network.vpcCidr ({primary}); "
                "pick non-overlapping ranges so the regions can be peered"
            )
        if self.dr.compute.enabled:
            self.dr.compute.check_fits(
                dr_region=self.dr.region,
                api_min_replicas=self.memory_api.min_replicas,
                qdrant_replicas=self.qdrant.replicas,
                needs_certificate=self.memory_api.image is not None,
                needs_ci_runner=self.ci_runner.enabled,
            )

    def _production_safeguards(self) -> None:
        database, cache = self.database, self.cache
        if database.backup_retention_days < 7:
            raise ValueError(
                f"database.backupRetentionDays is {database.backup_retention_days}; "
                "production keeps at least 7 days of point-in-time recovery"
            )
        if not database.deletion_protection or not database.final_snapshot:
            raise ValueError(
                "database.deletionProtection and database.finalSnapshot must be true in production"
            )
        if database.reader_count < 1:
            raise ValueError(
                "database.readerCount must be at least 1 in production so the writer can fail over"
            )
        if not cache.multi_az:
            raise ValueError("cache.multiAz must be true in production (automatic failover across AZs)")

    @property
    def stack_prefix(self) -> str:
        return f"memory-{self.environment}"


def _region(value: str) -> str:
    if not re.fullmatch(r"[a-z]{2}(-gov)?-[a-z]+-\d", value):
        raise ValueError(f"'{value}' is not an AWS region name like 'us-east-1'")
    return value


class StackConfigError(Exception):
    """Configuration that cannot produce a correct stack; lists every problem, one per line."""

    def __init__(self, stack_file: str, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(
            f"{stack_file} has {len(problems)} configuration problem(s); nothing was created:\n{lines}"
        )


# Stack-file keys (without the project namespace) and the StackConfig field each fills.
_TOP_LEVEL_KEYS = {
    "environment": "environment",
    "tags": "tags",
    "network": "network",
    "cluster": "cluster",
    "ciRunner": "ci_runner",
    "nodePools": "node_pools",
    "database": "database",
    "cache": "cache",
    "dr": "dr",
    "qdrant": "qdrant",
    "memoryApi": "memory_api",
    "observability": "observability",
}

# Top-level secret keys (`pulumi config set --secret`): the aliases of `ReceiverCredentials`, the one model
# of the alert receivers' credentials. They are not part of `StackConfig`: `load_alert_receivers()` hands
# them to the program as one secret Output.
SECRET_KEYS = tuple(ReceiverCredentials.stack_keys())


def parse_stack_config(
    values: Mapping[str, Any], *, primary_region: str | None, stack_file: str
) -> StackConfig:
    """Validate project config values (keys without namespace) into a `StackConfig`.

    Structured values may arrive as JSON strings, the way the engine hands them to programs.
    """
    problems: list[str] = []
    data: dict[str, Any] = {}
    for key, raw in values.items():
        if key in SECRET_KEYS:
            continue
        if key not in _TOP_LEVEL_KEYS:
            allowed = ", ".join(f"{PROJECT_NAMESPACE}:{name}" for name in (*_TOP_LEVEL_KEYS, *SECRET_KEYS))
            problems.append(f"{PROJECT_NAMESPACE}:{key}: unknown key; allowed keys are {allowed}")
            continue
        data[_TOP_LEVEL_KEYS[key]] = _decode(raw)
    if primary_region is None:
        problems.append("aws:region: required; set it with `pulumi config set aws:region us-east-1`")
    else:
        data["primary_region"] = primary_region
    try:
        stack_config = StackConfig.model_validate(data)
    except ValidationError as error:
        problems += [
            _describe(item)
            for item in error.errors()
            if item["loc"] not in {("primary_region",), ("primaryRegion",)}
        ]
    if problems:
        raise StackConfigError(stack_file, problems)
    return stack_config


def _decode(raw: Any) -> Any:
    if isinstance(raw, str) and raw[:1] in "[{":
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw
    return raw


def _describe(error: Mapping[str, Any]) -> str:
    location = [str(part) for part in error["loc"]]
    key = ".".join(_camel(part) for part in location).replace(".[", "[") if location else "(stack)"
    key = "aws:region" if key.startswith("primaryRegion") else f"{PROJECT_NAMESPACE}:{key}"
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key; check the spelling against the JSON schema in schema/"
    elif error["type"] == "missing":
        message = "required key is missing"
    elif error["type"] == "enum":
        message = f"got {error.get('input')!r}; {message[0].lower()}{message[1:]}"
    return f"{key}: {message}"


def _camel(part: str) -> str:
    if part.isdigit():
        return f"[{part}]"
    return part if part == "cost-center" else to_camel(part)


def json_schema() -> dict[str, Any]:
    """JSON Schema of the stack config, for editors validating `Pulumi.<stack>.yaml`."""
    schema = StackConfig.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "memory-platform stack configuration"
    return schema


def stack_file_schema() -> dict[str, Any]:
    """JSON Schema of a whole `Pulumi.<stack>.yaml`, namespaced the way the stack file writes keys."""
    model = json_schema()
    definitions = model.pop("$defs", {})
    fields = model["properties"]
    properties: dict[str, Any] = {"aws:region": {"type": "string", "pattern": r"^[a-z]{2}(-gov)?-[a-z]+-\d$"}}
    for key in _TOP_LEVEL_KEYS:
        properties[f"{PROJECT_NAMESPACE}:{key}"] = fields[key]
    for key in SECRET_KEYS:
        properties[f"{PROJECT_NAMESPACE}:{key}"] = {
            "description": "A secret: set it with `pulumi config set --secret`.",
            "type": "object",
            "properties": {"secure": {"type": "string", "minLength": 1}},
            "required": ["secure"],
            "additionalProperties": False,
        }
    ours = [f"{PROJECT_NAMESPACE}:{key}" for key in (*_TOP_LEVEL_KEYS, *SECRET_KEYS)]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Pulumi stack file of the memory-platform project",
        "type": "object",
        "properties": {
            "config": {
                "type": "object",
                "properties": properties,
                "required": ["aws:region", f"{PROJECT_NAMESPACE}:environment", f"{PROJECT_NAMESPACE}:tags"],
                "propertyNames": {"anyOf": [{"enum": ours}, {"not": {"pattern": f"^{PROJECT_NAMESPACE}:"}}]},
            },
        },
        "$defs": definitions,
    }


def load() -> StackConfig:
    """Read this stack's configuration from the Pulumi engine; the program's only config read."""
    stack_file = f"Pulumi.{pulumi.get_stack()}.yaml"
    prefix = f"{PROJECT_NAMESPACE}:"
    # The SDK has no public way to list keys; unknown keys must be reported, so read the whole map.
    all_values: Mapping[str, Any] = runtime_config.CONFIG.get()
    ours = {key.removeprefix(prefix): value for key, value in all_values.items() if key.startswith(prefix)}
    region = pulumi.Config("aws").get("region")
    return parse_stack_config(ours, primary_region=region, stack_file=stack_file)


def parse_alert_receivers(values: Mapping[str, Any], *, stack_file: str) -> ReceiverCredentials:
    """Check the secret receiver keys (keys without namespace) and return them as `ReceiverCredentials`.

    Problems name the key and never echo the value.
    """
    problems = []
    found: dict[str, str] = {}
    for key in SECRET_KEYS:
        value = values.get(key)
        if not isinstance(value, str) or not value:
            problems.append(
                f"{PROJECT_NAMESPACE}:{key}: required secret is missing; set it with "
                f"`pulumi config set --secret {PROJECT_NAMESPACE}:{key} <value>`"
            )
        else:
            found[key] = value
    credentials = None
    if not problems:
        try:
            credentials = ReceiverCredentials.model_validate(found)
        except ValidationError as error:
            for item in error.errors():
                message = str(item["msg"]).removeprefix("Value error, ")
                problems.append(f"{PROJECT_NAMESPACE}:{item['loc'][0]}: {message}")
    if problems or credentials is None:
        raise StackConfigError(stack_file, problems)
    return credentials


def load_alert_receivers() -> pulumi.Output[ReceiverCredentials]:
    """This stack's alert receiver credentials, read once at the edge, as one secret Output."""
    prefix = f"{PROJECT_NAMESPACE}:"
    all_values: Mapping[str, Any] = runtime_config.CONFIG.get()
    ours = {key.removeprefix(prefix): value for key, value in all_values.items() if key.startswith(prefix)}
    credentials = parse_alert_receivers(ours, stack_file=f"Pulumi.{pulumi.get_stack()}.yaml")
    return pulumi.Output.secret(credentials)
