"""Stack-file configuration of `DisasterRecovery` (the `dr` key): the second region's replicas."""

from __future__ import annotations

import math
from typing import Self

from pydantic import Field, field_validator, model_validator

from infra.components.aurora import GLOBAL_DB_RPO_MAX_SECONDS, GLOBAL_DB_RPO_MIN_SECONDS
from infra.components.dr_region_config import DrComputeConfig
from infra.components.network import NatStrategy, NetworkConfig
from infra.config_types import Cidr, ConfigModel

# rpoMinutes becomes rds.global_db_rpo (seconds); its range is the parameter's, capped at a day.
RPO_MINUTES_MIN = math.ceil(GLOBAL_DB_RPO_MIN_SECONDS / 60)
RPO_MINUTES_MAX = min(1440, GLOBAL_DB_RPO_MAX_SECONDS // 60)


class FailoverDnsConfig(ConfigModel):
    """Route 53 failover of the API hostname (`memoryApi.host`) between the two regions' load balancers.

    Each region gets its own name, `<first label>-<region>.<rest of memoryApi.host>` (e.g.
    `api-us-west-2.memory.example.com`, `infra.contracts.regional_hostname`), a CNAME to that region's
    ALB; its Ingress answers for both names. The ACM certificate of each region (`memoryApi.certificateArn`
    and the DR region's) must cover the API hostname and that region's name (add it as a subject
    alternative name), so clients and operators can reach a region directly. One HTTPS health check per
    region probes `/health/ready` on the regional name; both failover records carry their target's check.
    The load balancers' DNS names come from the Ingresses' status; the two fields below are for a region
    whose Ingress this program does not (yet) manage.
    """

    hosted_zone_id: str = Field(
        pattern=r"^Z[A-Z0-9]{1,31}$",
        description="Route 53 public hosted zone of memoryApi.host (and of the regional names beside it).",
    )
    primary_load_balancer_hostname: str | None = Field(
        default=None,
        pattern=r"^([a-z0-9-]+\.)+[a-z]{2,}$",
        description="DNS name of the primary region's ALB; default: the memory API Ingress's status.",
    )
    dr_load_balancer_hostname: str | None = Field(
        default=None,
        pattern=r"^([a-z0-9-]+\.)+[a-z]{2,}$",
        description="DNS name of the DR region's ALB; default: the DR region's memory API Ingress status.",
    )


class DisasterRecoveryConfig(ConfigModel):
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
        description="Recovery point objective: the primary's rds.global_db_rpo (commits block while no "
        "secondary is within it) and what the operator tooling checks replication lag against; 1 to 1440.",
        json_schema_extra={"minimum": RPO_MINUTES_MIN, "maximum": RPO_MINUTES_MAX},
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
    compute: DrComputeConfig = Field(
        default_factory=DrComputeConfig,
        description="Pilot-light EKS cluster, memory API, Qdrant and Redis in the DR region; off if unset.",
    )
    active_region: str | None = Field(
        default=None,
        description="Region that serves traffic (aws:region or dr.region; aws:region if unset). "
        "`platform-ops dr failover|switchover` prints the `pulumi config set` that updates it.",
    )

    @field_validator("rpo_minutes")
    @classmethod
    def _managed_rpo_range(cls, value: int) -> int:
        if not (RPO_MINUTES_MIN <= value <= RPO_MINUTES_MAX):
            raise ValueError(
                f"{value} minutes is outside 1 to {RPO_MINUTES_MAX}: it sets rds.global_db_rpo "
                f"({value * 60} s), which Aurora accepts from {GLOBAL_DB_RPO_MIN_SECONDS} s, and a day "
                "is the most this platform allows; use e.g. 15"
            )
        return value

    @property
    def rpo_seconds(self) -> int:
        """`rpoMinutes` as the value of `rds.global_db_rpo` (seconds)."""
        return self.rpo_minutes * 60

    @model_validator(mode="after")
    def _lifecycle_ordered(self) -> Self:
        if not self.bucket_transition_days < self.bucket_glacier_days < self.bucket_expiry_days:
            raise ValueError(
                "bucketTransitionDays < bucketGlacierDays < bucketExpiryDays must hold, got "
                f"{self.bucket_transition_days}, {self.bucket_glacier_days}, {self.bucket_expiry_days}"
            )
        if self.compute.enabled and self.nat_strategy == NatStrategy.NONE:
            raise ValueError(
                "dr.natStrategy is 'none' but dr.compute.enabled is true: the DR nodes pull images (ECR, "
                "Docker Hub for Qdrant) and call AWS APIs; set dr.natStrategy to single (or one_per_az)"
            )
        return self

    def network_config(self) -> NetworkConfig:
        return NetworkConfig(
            vpc_cidr=self.vpc_cidr,
            az_count=self.az_count,
            nat_strategy=self.nat_strategy,
            flow_log_retention_days=self.flow_log_retention_days,
        )
