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
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

import pulumi
from pulumi.runtime import config as runtime_config
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from infra.monitoring_data.alertmanager import ReceiverCredentials
from infra.standards import INSTANCE_FAMILIES

PROJECT_NAMESPACE = "memory-platform"
# Aurora global databases run only on memory-optimised classes (db.r*, db.x2g), never burstable db.t*.
GLOBAL_DATABASE_FAMILY_PREFIXES = ("r5", "r6", "r7", "r8", "x2")
EKS_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
SUPPORTED_EKS_VERSIONS = ("1.34", "1.35", "1.36")


class _Model(BaseModel):
    """Frozen, strict about unknown keys, camelCase in stack files."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        use_enum_values=True,
    )


def _instance_type(value: str) -> str:
    match = re.fullmatch(r"([a-z][a-z0-9-]*?)\.([0-9]*x?[a-z]+)", value)
    if not match:
        raise ValueError(f"'{value}' is not an EC2 instance type like 'm5.xlarge'")
    family = match.group(1)
    if family not in INSTANCE_FAMILIES:
        allowed = ", ".join(sorted(INSTANCE_FAMILIES))
        raise ValueError(f"instance family '{family}' is not supported; use one of: {allowed}")
    return value


def _cidr(value: str) -> str:
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError as error:
        raise ValueError(f"'{value}' is not a network CIDR like '10.0.0.0/16' ({error})") from None
    return str(network)


InstanceType = Annotated[str, AfterValidator(_instance_type)]
Cidr = Annotated[str, AfterValidator(_cidr)]


class NatStrategy(StrEnum):
    ONE_PER_AZ = "one_per_az"
    SINGLE = "single"
    NONE = "none"


class TaintEffect(StrEnum):
    NO_SCHEDULE = "NoSchedule"
    PREFER_NO_SCHEDULE = "PreferNoSchedule"
    NO_EXECUTE = "NoExecute"


class Taint(_Model):
    """A Kubernetes taint on every node of a pool."""

    key: str = Field(description="Taint key, e.g. 'dedicated'.", min_length=1, max_length=63)
    value: str = Field(default="", description="Taint value, e.g. 'database'.", max_length=63)
    effect: TaintEffect = Field(description="NoSchedule, PreferNoSchedule or NoExecute.")


class NodePool(_Model):
    """One EKS managed node group with its own launch template."""

    name: str = Field(
        description="Pool name; also the value of the pool label on its nodes.",
        pattern=r"^[a-z][a-z0-9_]{1,30}$",
    )
    instance_type: InstanceType = Field(description="EC2 instance type of every node.")
    min_nodes: int = Field(ge=0, le=100, description="Lower bound of the autoscaling range.")
    max_nodes: int = Field(ge=1, le=100, description="Upper bound of the autoscaling range.")
    desired_nodes: int | None = Field(
        default=None, description="Initial size; defaults to min_nodes. Later changes are ignored."
    )
    capacity_type: Literal["ON_DEMAND", "SPOT"] = Field(default="ON_DEMAND", description="ON_DEMAND or SPOT.")
    disk_size_gib: int = Field(default=50, ge=20, le=2000, description="Encrypted gp3 root volume.")
    max_unavailable: int = Field(
        default=1, ge=1, le=100, description="Nodes replaced at once during an update."
    )
    labels: dict[str, str] = Field(default_factory=dict, description="Extra Kubernetes node labels.")
    taints: tuple[Taint, ...] = Field(default=(), description="Kubernetes taints on every node.")

    @model_validator(mode="after")
    def _sizes_are_ordered(self) -> Self:
        if self.min_nodes > self.max_nodes:
            raise ValueError(
                f"minNodes ({self.min_nodes}) is greater than maxNodes ({self.max_nodes}); "
                "set minNodes <= maxNodes"
            )
        desired = self.desired_nodes
        if desired is not None and not self.min_nodes <= desired <= self.max_nodes:
            raise ValueError(
                f"desiredNodes ({desired}) must lie between minNodes ({self.min_nodes}) "
                f"and maxNodes ({self.max_nodes})"
            )
        return self

    @property
    def initial_nodes(self) -> int:
        return self.desired_nodes if self.desired_nodes is not None else self.min_nodes


def _reference_pools() -> tuple[NodePool, ...]:
    database_taint = Taint(key="dedicated", value="database", effect=TaintEffect.NO_SCHEDULE)
    return (
        NodePool(name="application", instance_type="m5.xlarge", min_nodes=3, max_nodes=10),
        NodePool(name="ml_workload", instance_type="c5.2xlarge", min_nodes=2, max_nodes=8),
        NodePool(
            name="database",
            instance_type="r5.xlarge",
            min_nodes=3,
            max_nodes=3,
            disk_size_gib=100,
            taints=(database_taint,),
        ),
    )


class NetworkConfig(_Model):
    """The VPC of the primary region."""

    vpc_cidr: Cidr = Field(default="10.20.0.0/16", description="VPC CIDR, a /16 to /20 private range.")
    az_count: int = Field(default=3, ge=2, le=4, description="Availability zones to spread over.")
    nat_strategy: NatStrategy = Field(
        default=NatStrategy.ONE_PER_AZ,
        description=(
            "one_per_az survives an AZ outage; single is cheaper for non-production; "
            "none (DR standby VPC only) gives private subnets no internet egress."
        ),
    )
    flow_log_retention_days: int = Field(
        default=365, ge=1, description="CloudWatch retention of VPC flow logs."
    )

    @field_validator("vpc_cidr")
    @classmethod
    def _private_and_sized(cls, value: str) -> str:
        network = ipaddress.ip_network(value)
        if not network.is_private or network.version != 4:
            raise ValueError(f"'{value}' must be a private IPv4 range (10/8, 172.16/12, 192.168/16)")
        if not 16 <= network.prefixlen <= 20:
            raise ValueError(f"'{value}' must be between /16 and /20 to fit pods and subnets")
        return value


class ClusterConfig(_Model):
    """The EKS control plane."""

    version: str = Field(default="1.34", description="Kubernetes minor version of the control plane.")
    public_access_cidrs: tuple[Cidr, ...] = Field(
        default=(),
        description="CIDRs allowed to the public API endpoint; empty keeps the endpoint private.",
    )
    log_types: tuple[str, ...] = Field(
        default=EKS_LOG_TYPES, description="Control-plane log types sent to CloudWatch."
    )
    log_retention_days: int = Field(default=90, ge=1, description="Retention of control-plane logs.")
    admin_role_arns: tuple[str, ...] = Field(
        default=(), description="IAM roles granted cluster-admin through EKS access entries."
    )

    @field_validator("version")
    @classmethod
    def _supported_version(cls, value: str) -> str:
        if value not in SUPPORTED_EKS_VERSIONS:
            raise ValueError(f"'{value}' is not supported; use one of {', '.join(SUPPORTED_EKS_VERSIONS)}")
        return value

    @field_validator("log_types")
    @classmethod
    def _known_log_types(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [kind for kind in value if kind not in EKS_LOG_TYPES]
        if unknown:
            raise ValueError(f"unknown log type(s) {unknown}; allowed: {', '.join(EKS_LOG_TYPES)}")
        return value

    @field_validator("public_access_cidrs")
    @classmethod
    def _not_the_internet(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(ipaddress.ip_network(cidr).prefixlen == 0 for cidr in value):
            raise ValueError("0.0.0.0/0 would expose the API server to the internet; list your CIDRs")
        return value

    @field_validator("admin_role_arns")
    @classmethod
    def _role_arns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [arn for arn in value if not re.fullmatch(r"arn:aws[a-z-]*:iam::\d{12}:role/.+", arn)]
        if bad:
            raise ValueError(f"{bad} are not IAM role ARNs like 'arn:aws:iam::123456789012:role/Admin'")
        return value


class ReaderAutoscalingConfig(_Model):
    """Application Auto Scaling of Aurora readers on their average CPU."""

    max_readers: int = Field(ge=1, le=15, description="Most readers auto scaling may run.")
    target_cpu_percent: int = Field(default=60, ge=10, le=90, description="Average reader CPU to hold.")
    scale_in_cooldown_seconds: int = Field(default=300, ge=0, description="Wait after removing a reader.")
    scale_out_cooldown_seconds: int = Field(default=120, ge=0, description="Wait after adding a reader.")


class DatabaseConfig(_Model):
    """The Aurora PostgreSQL cluster of the primary region."""

    engine_version: str = Field(
        default="16.6", description="Aurora PostgreSQL version, pinned (16.x or 17.x); upgrades are explicit."
    )
    instance_class: str = Field(
        default="db.r6g.large", description="Instance class of the writer and every reader."
    )
    reader_count: int = Field(default=2, ge=0, le=15, description="Readers besides the writer.")
    reader_autoscaling: ReaderAutoscalingConfig | None = Field(
        default=None, description="Scale readers on CPU between readerCount and maxReaders; off if absent."
    )
    database_name: str = Field(
        default="memory", pattern=r"^[a-z][a-z0-9_]{0,62}$", description="Database created in the cluster."
    )
    master_username: str = Field(
        default="memory_admin",
        pattern=r"^[a-z][a-z0-9_]{0,15}$",
        description="Master user name; its password lives only in Secrets Manager.",
    )
    backup_retention_days: int = Field(
        default=35, ge=1, le=35, description="Days of automated backups (point-in-time recovery)."
    )
    backup_window: str = Field(
        default="03:00-04:00", pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}$", description="Daily UTC backup window."
    )
    maintenance_window: str = Field(
        default="sun:04:30-sun:05:30",
        pattern=r"^[a-z]{3}:\d{2}:\d{2}-[a-z]{3}:\d{2}:\d{2}$",
        description="Weekly UTC maintenance window; must not overlap the backup window.",
    )
    deletion_protection: bool = Field(default=True, description="Refuse deletion of the cluster.")
    final_snapshot: bool = Field(default=True, description="Take a snapshot when the cluster is deleted.")
    performance_insights_retention_days: int = Field(
        default=7, description="7 (free tier) or a multiple of 31 up to 731."
    )
    monitoring_interval_seconds: Literal[1, 5, 10, 15, 30, 60] = Field(
        default=60, description="Enhanced monitoring interval."
    )
    log_retention_days: int = Field(default=365, ge=1, description="Retention of the postgresql log group.")
    slow_query_ms: int = Field(
        default=500, ge=0, description="Statements slower than this are logged (log_min_duration_statement)."
    )

    @field_validator("engine_version")
    @classmethod
    def _pinned_supported_version(cls, value: str) -> str:
        if not re.fullmatch(r"1[67]\.\d+", value):
            raise ValueError(f"'{value}' is not a pinned Aurora PostgreSQL 16.x or 17.x version like '16.6'")
        return value

    @field_validator("instance_class")
    @classmethod
    def _db_instance_class(cls, value: str) -> str:
        if not re.fullmatch(r"db\.[a-z][a-z0-9-]*\.[0-9]*x?[a-z]+", value):
            raise ValueError(f"'{value}' is not an RDS instance class like 'db.r6g.large'")
        return value

    @field_validator("performance_insights_retention_days")
    @classmethod
    def _insights_retention(cls, value: int) -> int:
        if value != 7 and not (value % 31 == 0 and 31 <= value <= 731):
            raise ValueError(f"{value} is not allowed; use 7 or a multiple of 31 between 31 and 731")
        return value

    @model_validator(mode="after")
    def _autoscaling_above_readers(self) -> Self:
        scaling = self.reader_autoscaling
        if scaling is not None and scaling.max_readers < max(self.reader_count, 1):
            raise ValueError(
                f"readerAutoscaling.maxReaders ({scaling.max_readers}) must be at least "
                f"readerCount ({self.reader_count}) and 1"
            )
        return self

    @property
    def engine_major(self) -> str:
        return self.engine_version.split(".", 1)[0]

    @property
    def instance_family(self) -> str:
        return self.instance_class.split(".")[1]


class CacheEngine(StrEnum):
    REDIS = "redis"
    VALKEY = "valkey"


class CacheConfig(_Model):
    """The ElastiCache replication group."""

    engine: CacheEngine = Field(default=CacheEngine.REDIS, description="redis or valkey.")
    engine_version: str = Field(default="7.1", description="Engine version, 7.x (redis) or 7.x/8.x (valkey).")
    node_type: str = Field(default="cache.r7g.large", description="Node type of every cache node.")
    nodes_per_shard: int = Field(
        default=3,
        ge=1,
        le=6,
        description="Primary plus replicas in each shard (the whole group without cluster mode).",
    )
    cluster_mode: bool = Field(default=False, description="Shard the keyspace (Redis cluster mode).")
    shard_count: int = Field(default=1, ge=1, le=500, description="Shards; more than 1 needs clusterMode.")
    multi_az: bool = Field(
        default=True, description="Replicas in other AZs with automatic failover; needs 2+ nodes per shard."
    )
    snapshot_retention_days: int = Field(default=7, ge=0, le=35, description="Days of daily snapshots.")
    snapshot_window: str = Field(
        default="02:00-03:00", pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}$", description="Daily UTC snapshot window."
    )
    maintenance_window: str = Field(
        default="sun:05:30-sun:06:30",
        pattern=r"^[a-z]{3}:\d{2}:\d{2}-[a-z]{3}:\d{2}:\d{2}$",
        description="Weekly UTC maintenance window.",
    )
    log_retention_days: int = Field(default=365, ge=1, description="Retention of the slow-log group.")

    @field_validator("engine_version")
    @classmethod
    def _major_seven_or_later(cls, value: str) -> str:
        if not re.fullmatch(r"[78]\.\d+", value):
            raise ValueError(f"'{value}' is not a 7.x or 8.x engine version like '7.1'")
        return value

    @field_validator("node_type")
    @classmethod
    def _cache_node_type(cls, value: str) -> str:
        if not re.fullmatch(r"cache\.[a-z][a-z0-9-]*\.[0-9]*x?[a-z]+", value):
            raise ValueError(f"'{value}' is not an ElastiCache node type like 'cache.r7g.large'")
        return value

    @model_validator(mode="after")
    def _topology(self) -> Self:
        if self.multi_az and self.nodes_per_shard < 2:
            raise ValueError(
                f"multiAz needs a replica to fail over to, but nodesPerShard is {self.nodes_per_shard}; "
                "set nodesPerShard to 2 or more, or multiAz to false"
            )
        if self.shard_count > 1 and not self.cluster_mode:
            raise ValueError(f"shardCount is {self.shard_count}; more than one shard needs clusterMode: true")
        if self.cluster_mode and self.engine == CacheEngine.REDIS and self.nodes_per_shard < 2:
            raise ValueError("clusterMode needs nodesPerShard >= 2 (automatic failover is required)")
        return self

    @property
    def automatic_failover(self) -> bool:
        return self.multi_az or self.cluster_mode


class FailoverDnsConfig(_Model):
    """Route 53 failover records for the API hostname."""

    hosted_zone_id: str = Field(pattern=r"^Z[A-Z0-9]{1,31}$", description="Route 53 hosted zone id.")
    api_hostname: str = Field(
        pattern=r"^([a-z0-9-]+\.)+[a-z]{2,}$", description="Public API name, e.g. 'api.memory.example.com'."
    )
    primary_api_target: str = Field(description="DNS name of the primary region's API load balancer.")
    dr_api_target: str = Field(description="DNS name of the DR region's API load balancer.")
    health_check_path: str = Field(default="/health", pattern=r"^/", description="HTTPS path probed.")


class DisasterRecoveryConfig(_Model):
    """Replicas in a second region; off by default."""

    enabled: bool = Field(default=False, description="Create the DR region's replicas.")
    region: str | None = Field(default=None, description="AWS region of the replicas.")
    vpc_cidr: Cidr = Field(default="10.30.0.0/16", description="VPC CIDR in the DR region.")
    az_count: int = Field(default=2, ge=2, le=4, description="AZs of the DR VPC (Aurora needs 2).")
    nat_strategy: NatStrategy = Field(
        default=NatStrategy.NONE,
        description="NAT in the DR VPC; none while it only holds the standby database (no cost).",
    )
    flow_log_retention_days: int = Field(default=90, ge=1, description="Retention of the DR VPC flow logs.")
    rpo_minutes: int = Field(
        default=15,
        ge=1,
        le=1440,
        description="Recovery point objective the operator tooling checks replication lag against.",
    )
    backup_retention_days: int = Field(
        default=35, ge=1, description="Days AWS Backup keeps recovery points in either vault."
    )
    backup_schedule: str = Field(
        default="cron(0 5 * * ? *)", pattern=r"^cron\(.+\)$", description="AWS Backup schedule (UTC cron)."
    )
    bucket_transition_days: int = Field(
        default=30, ge=30, description="Days before backup objects move to Standard-IA."
    )
    bucket_glacier_days: int = Field(default=90, ge=60, description="Days before they move to Glacier.")
    bucket_expiry_days: int = Field(default=365, ge=1, description="Days before backup objects expire.")
    dns: FailoverDnsConfig | None = Field(
        default=None, description="Route 53 failover for the API hostname; off if absent."
    )

    @model_validator(mode="after")
    def _lifecycle_ordered(self) -> Self:
        if not self.bucket_transition_days < self.bucket_glacier_days < self.bucket_expiry_days:
            raise ValueError(
                "bucketTransitionDays < bucketGlacierDays < bucketExpiryDays must hold, got "
                f"{self.bucket_transition_days}, {self.bucket_glacier_days}, {self.bucket_expiry_days}"
            )
        return self

    def network_config(self) -> NetworkConfig:
        return NetworkConfig(
            vpc_cidr=self.vpc_cidr,
            az_count=self.az_count,
            nat_strategy=self.nat_strategy,
            flow_log_retention_days=self.flow_log_retention_days,
        )


_QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti)?$")
_IMAGE_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_IMAGE_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")
_ACM_ARN = re.compile(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]+$")
_CRON = re.compile(r"^(\S+\s+){4}\S+$")


def _quantity(value: str) -> str:
    if not _QUANTITY.fullmatch(value):
        raise ValueError(f"'{value}' is not a Kubernetes quantity like '500m', '2', '512Mi' or '4Gi'")
    return value


Quantity = Annotated[str, AfterValidator(_quantity)]


class Resources(_Model):
    """Requests and limits of one container (Kubernetes quantities)."""

    cpu_request: Quantity = Field(description="CPU the scheduler reserves, e.g. '500m'.")
    memory_request: Quantity = Field(description="Memory the scheduler reserves, e.g. '1Gi'.")
    cpu_limit: Quantity = Field(description="CPU ceiling, e.g. '2'.")
    memory_limit: Quantity = Field(description="Memory ceiling; the container is OOM-killed above it.")

    def as_kubernetes(self) -> dict[str, dict[str, str]]:
        return {
            "requests": {"cpu": self.cpu_request, "memory": self.memory_request},
            "limits": {"cpu": self.cpu_limit, "memory": self.memory_limit},
        }


class QdrantConfig(_Model):
    """The Qdrant vector database, a StatefulSet on the database pool."""

    version: str = Field(
        default="v1.19.0",
        pattern=r"^v1\.19\.\d+$",
        description="Qdrant release (the -unprivileged image variant is used), e.g. 'v1.19.0'.",
    )
    replicas: int = Field(
        default=3, ge=1, le=9, description="Peers; above 1 Qdrant runs in distributed mode."
    )
    storage_gib: int = Field(default=100, ge=10, le=16000, description="Encrypted gp3 volume per peer.")
    snapshots_storage_gib: int = Field(
        default=50, ge=5, le=16000, description="Volume per peer holding snapshots before upload."
    )
    resources: Resources = Field(
        default_factory=lambda: Resources(
            cpu_request="1", memory_request="8Gi", cpu_limit="3", memory_limit="24Gi"
        ),
        description="Requests and limits of each Qdrant container.",
    )
    snapshot_schedule: str = Field(
        default="17 3 * * *", description="Cron schedule (UTC) of the snapshot-to-S3 CronJob."
    )
    startup_timeout_seconds: int = Field(
        default=1800, ge=60, le=7200, description="Time a peer may take to load its collections."
    )
    termination_grace_period_seconds: int = Field(
        default=120, ge=30, le=3600, description="Time a peer gets to flush its WAL on shutdown."
    )

    @field_validator("snapshot_schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        if not _CRON.fullmatch(value.strip()):
            raise ValueError(f"'{value}' is not a five-field cron schedule like '17 3 * * *'")
        return value


class MemoryApiConfig(_Model):
    """The memory API Deployment, its image, autoscaling and public endpoint."""

    image: str | None = Field(
        default=None,
        description=(
            "Image in this stack's ECR repository: a digest 'sha256:<64 hex>' or an immutable tag "
            "(CI pushes the commit SHA). Unset, only the repository and namespace are created."
        ),
    )
    host: str | None = Field(
        default=None,
        pattern=r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
        description="Public DNS name of the API, e.g. 'api.memory.example.com'.",
    )
    certificate_arn: str | None = Field(
        default=None, description="ACM certificate (same region) serving `host` on the load balancer."
    )
    min_replicas: int = Field(default=3, ge=1, le=100, description="HPA lower bound; also the initial size.")
    max_replicas: int = Field(default=10, ge=1, le=200, description="HPA upper bound.")
    target_cpu_percent: int = Field(default=70, ge=10, le=100, description="HPA CPU utilisation target.")
    target_memory_percent: int = Field(
        default=80, ge=10, le=100, description="HPA memory utilisation target."
    )
    resources: Resources = Field(
        default_factory=lambda: Resources(
            cpu_request="500m", memory_request="1Gi", cpu_limit="2", memory_limit="2Gi"
        ),
        description="Requests and limits of each API container.",
    )
    database_name: str = Field(
        default="memory", pattern=r"^[a-z_][a-z0-9_]{0,62}$", description="Aurora database the API uses."
    )
    kept_images: int = Field(
        default=50, ge=5, le=1000, description="ECR lifecycle: tagged images kept, newest first."
    )

    @field_validator("image")
    @classmethod
    def _immutable_image(cls, value: str | None) -> str | None:
        if value is None or _IMAGE_DIGEST.fullmatch(value):
            return value
        if value.startswith("sha256:"):
            raise ValueError(f"'{value}' is not a digest; a digest is 'sha256:' followed by 64 hex digits")
        if value == "latest":
            raise ValueError("'latest' is mutable; use the commit SHA CI pushed or a 'sha256:...' digest")
        if not _IMAGE_TAG.fullmatch(value):
            raise ValueError(f"'{value}' is not an image tag or 'sha256:...' digest")
        return value

    @field_validator("certificate_arn")
    @classmethod
    def _acm_arn(cls, value: str | None) -> str | None:
        if value is not None and not _ACM_ARN.fullmatch(value):
            raise ValueError(
                f"'{value}' is not an ACM certificate ARN like "
                "'arn:aws:acm:us-east-1:123456789012:certificate/<uuid>'"
            )
        return value

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if self.min_replicas > self.max_replicas:
            raise ValueError(
                f"minReplicas ({self.min_replicas}) is greater than maxReplicas ({self.max_replicas})"
            )
        if self.image is not None and (self.host is None or self.certificate_arn is None):
            raise ValueError("host and certificateArn are required once image is set (the API is public)")
        return self


class AlertRoutingConfig(_Model):
    """Where alerts go; receiver credentials are separate secret keys (see `SECRET_KEYS`)."""

    email_to: str = Field(
        default="oncall@example.com",
        pattern=r"^[^@\s]+@[^@\s]+$",
        description="On-call mailing list that receives critical alerts.",
    )
    email_from: str = Field(
        default="alerts@example.com",
        pattern=r"^[^@\s]+@[^@\s]+$",
        description="Sender address of alert e-mails.",
    )
    smtp_smarthost: str = Field(
        default="email-smtp.us-east-1.amazonaws.com:587",
        pattern=r"^[^:\s]+:[0-9]+$",
        description="SMTP relay as host:port.",
    )
    smtp_auth_username: str = Field(default="alerts", min_length=1, description="SMTP account alerts use.")
    slack_channel: str = Field(
        default="#memory-platform-alerts", pattern=r"^[#@]\S+$", description="Chat channel for warnings."
    )


class ObservabilityConfig(_Model):
    """Prometheus, Alertmanager, Grafana, Loki and tracing in the `monitoring` namespace."""

    prometheus_retention_days: int = Field(default=30, ge=1, le=365, description="Days of metrics kept.")
    prometheus_retention_size_gib: int = Field(
        default=90, ge=1, description="Metrics are trimmed beyond this size, whatever their age (GiB)."
    )
    prometheus_storage_gib: int = Field(default=100, ge=10, description="Volume of each Prometheus replica.")
    prometheus_replicas: int = Field(default=2, ge=1, le=5, description="Prometheus replicas (HA pairs).")
    alertmanager_replicas: int = Field(default=3, ge=1, le=5, description="Alertmanager cluster size.")
    alertmanager_storage_gib: int = Field(default=10, ge=1, description="Volume of each Alertmanager (GiB).")
    spread_replicas: Literal["hard", "soft"] = Field(
        default="hard",
        description="Pod anti-affinity of replicas: hard (one per node, required) or soft (preferred).",
    )
    loki_storage: Literal["filesystem", "s3"] = Field(
        default="s3",
        description="filesystem keeps logs on a volume of the single Loki pod; s3 in a bucket of the stack.",
    )
    loki_replicas: int = Field(default=1, ge=1, le=5, description="Monolithic Loki replicas (s3 only >1).")
    loki_storage_gib: int = Field(
        default=50, ge=5, description="Loki volume: all logs (filesystem) or the write-ahead log (s3)."
    )
    log_retention_days: int = Field(default=30, ge=1, le=3650, description="Days Loki keeps log lines.")
    log_bucket_infrequent_access_days: int = Field(
        default=30, ge=30, description="Days before log objects move to S3 Standard-IA (s3 only)."
    )
    trace_sampling_percent: float = Field(
        default=10.0, gt=0, le=100, description="Share of traces kept from every service."
    )
    memory_api_trace_sampling_percent: float = Field(
        default=50.0, gt=0, le=100, description="Share of the memory API's traces kept."
    )
    keep_error_traces: bool = Field(default=True, description="Keep every trace that contains an error.")
    alerting: AlertRoutingConfig = Field(
        default_factory=AlertRoutingConfig, description="Alert routing (non-secret parts)."
    )

    @model_validator(mode="after")
    def _sizes_fit(self) -> Self:
        if self.prometheus_retention_size_gib >= self.prometheus_storage_gib:
            raise ValueError(
                f"prometheusRetentionSizeGib ({self.prometheus_retention_size_gib}) must be smaller than "
                f"prometheusStorageGib ({self.prometheus_storage_gib}) so the volume never fills; "
                "leave about 10 % headroom"
            )
        if self.loki_storage == "filesystem" and self.loki_replicas != 1:
            raise ValueError(
                f"lokiReplicas is {self.loki_replicas} but lokiStorage is filesystem, which only one pod "
                "can use; set lokiStorage to s3 or lokiReplicas to 1"
            )
        if self.memory_api_trace_sampling_percent < self.trace_sampling_percent:
            raise ValueError(
                "memoryApiTraceSamplingPercent must be at least traceSamplingPercent: the memory API is "
                "sampled more, never less, than the baseline"
            )
        return self


class Tags(_Model):
    """Cost-allocation tags applied to every taggable AWS resource."""

    model_config = ConfigDict(frozen=True, extra="allow", populate_by_name=True)

    owner: str = Field(min_length=1, description="Team that owns the stack.")
    cost_center: str = Field(alias="cost-center", min_length=1, description="Cost center to bill.")
    environment: str = Field(min_length=1, description="Environment name; matches `environment`.")

    def as_dict(self) -> dict[str, str]:
        extra = {str(key): str(value) for key, value in (self.model_extra or {}).items()}
        base = {"owner": self.owner, "cost-center": self.cost_center, "environment": self.environment}
        return {**extra, **base}


class StackConfig(_Model):
    """Everything a stack file configures; the only input of the program."""

    environment: Literal["staging", "production"] = Field(description="staging or production.")
    primary_region: str = Field(description="AWS region of the platform (from `aws:region`).")
    tags: Tags = Field(description="owner, cost-center and environment are required.")
    network: NetworkConfig = Field(default_factory=NetworkConfig, description="The VPC.")
    cluster: ClusterConfig = Field(default_factory=ClusterConfig, description="The EKS cluster.")
    node_pools: tuple[NodePool, ...] = Field(
        default_factory=_reference_pools, description="EKS managed node groups."
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
        return self

    def _workloads_fit(self) -> None:
        if self.cache.cluster_mode:
            raise ValueError(
                "cache.clusterMode must be false: the memory API uses one Redis endpoint with the plain "
                "protocol; scale with nodeType and nodesPerShard (replicas) instead of shards"
            )
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
        primary = ipaddress.ip_network(self.network.vpc_cidr)
        secondary = ipaddress.ip_network(self.dr.vpc_cidr)
        if primary.overlaps(secondary):
            raise ValueError(
                f"dr.vpcCidr ({secondary}) overlaps network.vpcCidr ({primary}); "
                "pick non-overlapping ranges so the regions can be peered"
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
    "nodePools": "node_pools",
    "database": "database",
    "cache": "cache",
    "dr": "dr",
    "qdrant": "qdrant",
    "memoryApi": "memory_api",
    "observability": "observability",
}

# Top-level secret keys (`pulumi config set --secret`) and the receiver credential each holds. They are not
# part of `StackConfig`: `load_alert_receivers()` hands them to the program as secret Outputs.
SECRET_KEYS = {
    "alertPagerdutyRoutingKey": "pagerduty_routing_key",
    "alertSlackApiUrl": "slack_api_url",
    "alertSmtpPassword": "smtp_auth_password",
    "alertWebhookUrl": "default_webhook_url",
}


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


class AlertReceiverSecrets(BaseModel):
    """Receiver credentials as secret Outputs, for the Observability component; never plain strings."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    pagerduty_routing_key: pulumi.Output[str]
    slack_api_url: pulumi.Output[str]
    smtp_auth_password: pulumi.Output[str]
    default_webhook_url: pulumi.Output[str]


def parse_alert_receivers(values: Mapping[str, Any], *, stack_file: str) -> dict[str, str]:
    """Check the secret receiver keys (keys without namespace) and return them by credential name.

    Problems name the key and never echo the value.
    """
    problems = []
    found: dict[str, str] = {}
    for key, field_name in SECRET_KEYS.items():
        value = values.get(key)
        if not isinstance(value, str) or not value:
            problems.append(
                f"{PROJECT_NAMESPACE}:{key}: required secret is missing; set it with "
                f"`pulumi config set --secret {PROJECT_NAMESPACE}:{key} <value>`"
            )
        else:
            found[field_name] = value
    if not problems:
        try:
            ReceiverCredentials.model_validate(found)
        except ValidationError as error:
            by_field = {field_name: key for key, field_name in SECRET_KEYS.items()}
            for item in error.errors():
                key = by_field.get(str(item["loc"][0]), str(item["loc"][0]))
                message = str(item["msg"]).removeprefix("Value error, ")
                problems.append(f"{PROJECT_NAMESPACE}:{key}: {message}")
    if problems:
        raise StackConfigError(stack_file, problems)
    return found


def load_alert_receivers() -> AlertReceiverSecrets:
    """This stack's alert receiver credentials, read once at the edge and wrapped as secret Outputs."""
    prefix = f"{PROJECT_NAMESPACE}:"
    all_values: Mapping[str, Any] = runtime_config.CONFIG.get()
    ours = {key.removeprefix(prefix): value for key, value in all_values.items() if key.startswith(prefix)}
    found = parse_alert_receivers(ours, stack_file=f"Pulumi.{pulumi.get_stack()}.yaml")
    return AlertReceiverSecrets(**{name: pulumi.Output.secret(value) for name, value in found.items()})
