"""Stack-file configuration of `DrRegion` (the `dr.compute` key): the DR region's pilot-light compute.

Defaults and why:
- Two small pools, because the reused workloads need both: `application` (the load balancer controller,
  CoreDNS and, after failover, the memory API) and `database` (tainted, Qdrant). One node each while idle.
- The memory API idles at 0 replicas and Qdrant at 1 (its volumes exist, a snapshot can be restored
  into it before traffic arrives); `platform-ops dr failover` scales both to the primary's sizes.
- Redis runs on two small nodes in two AZs (production's policy requires automatic failover); it starts
  cold after a failover, and the API serves without a cache.
"""

from __future__ import annotations

import re
from typing import Self

from pydantic import Field, field_validator, model_validator

from infra.components.eks_nodes import NodePool, Taint, TaintEffect
from infra.config_types import ConfigModel

_ACM_ARN = re.compile(r"^arn:aws[a-z-]*:acm:(?P<region>[a-z0-9-]+):\d{12}:certificate/[0-9a-f-]+$")
_CONNECTION_ARN = re.compile(
    r"^arn:aws[a-z-]*:(codeconnections|codestar-connections):(?P<region>[a-z0-9-]+):\d{12}:connection/.+$"
)
REQUIRED_POOLS = ("application", "database")


def pilot_light_pools() -> tuple[NodePool, ...]:
    return (
        NodePool(name="application", instance_type="m5.large", min_nodes=1, max_nodes=10),
        NodePool(
            name="database",
            instance_type="r5.xlarge",
            min_nodes=1,
            max_nodes=3,
            disk_size_gib=100,
            taints=(Taint(key="dedicated", value="database", effect=TaintEffect.NO_SCHEDULE),),
        ),
    )


class DrComputeConfig(ConfigModel):
    """A pilot-light EKS cluster in dr.region running the memory API and Qdrant, scaled down."""

    enabled: bool = Field(default=False, description="Create the DR region's cluster and workloads.")
    node_pools: tuple[NodePool, ...] = Field(
        default_factory=pilot_light_pools,
        description="Node groups of the DR cluster; 'application' and 'database' are required.",
    )
    api_replicas: int = Field(
        default=0,
        ge=0,
        le=100,
        description="Memory API replicas while the primary serves: 0 (pilot light) or at least "
        "memoryApi.minReplicas (warm standby).",
    )
    qdrant_replicas: int = Field(
        default=1, ge=0, le=9, description="Qdrant peers while the primary serves (0 or 1 for a pilot light)."
    )
    certificate_arn: str | None = Field(
        default=None,
        description="ACM certificate for memoryApi.host issued in dr.region (ACM certificates are regional).",
    )
    cache_node_type: str = Field(
        default="cache.t4g.small", description="Node type of the DR region's Redis (it starts cold)."
    )
    cache_nodes: int = Field(
        default=2,
        ge=1,
        le=6,
        description="Redis nodes in the DR region; 2 or more fail over across AZs (production requires it).",
    )
    ci_runner_connection_arn: str | None = Field(
        default=None,
        description="CodeConnections connection to GitHub created in dr.region, for the CI runner in the DR "
        "VPC (the one deployer that reaches the DR cluster's private endpoint).",
    )

    @field_validator("node_pools")
    @classmethod
    def _required_pools(cls, pools: tuple[NodePool, ...]) -> tuple[NodePool, ...]:
        names = [pool.name for pool in pools]
        missing = [name for name in REQUIRED_POOLS if name not in names]
        if missing or len(set(names)) != len(names):
            raise ValueError(
                f"needs uniquely named pools including {', '.join(REQUIRED_POOLS)} (the memory API and "
                f"Qdrant run there); got {names}"
            )
        return pools

    @model_validator(mode="after")
    def _arns(self) -> Self:
        for key, value, pattern in (
            ("certificateArn", self.certificate_arn, _ACM_ARN),
            ("ciRunnerConnectionArn", self.ci_runner_connection_arn, _CONNECTION_ARN),
        ):
            if value is not None and not pattern.fullmatch(value):
                raise ValueError(f"dr.compute.{key} '{value}' is not a valid ARN of that kind")
        return self

    def check_fits(
        self,
        *,
        dr_region: str,
        api_min_replicas: int,
        qdrant_replicas: int,
        needs_certificate: bool,
        needs_ci_runner: bool,
    ) -> None:
        """Raises one clear message when the DR compute cannot take the primary's workloads."""
        problems = []
        for key, value, pattern in (
            ("certificateArn", self.certificate_arn, _ACM_ARN),
            ("ciRunnerConnectionArn", self.ci_runner_connection_arn, _CONNECTION_ARN),
        ):
            match = pattern.fullmatch(value) if value else None
            if match and match.group("region") != dr_region:
                problems.append(f"dr.compute.{key} is in {match.group('region')}; it must be in {dr_region}")
        if needs_certificate and self.certificate_arn is None:
            problems.append(
                "dr.compute.certificateArn is required (an ACM certificate for memoryApi.host in "
                f"{dr_region})"
            )
        if needs_ci_runner and self.ci_runner_connection_arn is None:
            problems.append(
                "dr.compute.ciRunnerConnectionArn is required (ciRunner is set): the DR cluster's endpoint "
                "is private, so a CI runner in the DR VPC deploys it; create a GitHub connection in "
                f"{dr_region}"
            )
        if 0 < self.api_replicas < api_min_replicas:
            problems.append(
                f"dr.compute.apiReplicas is {self.api_replicas}, but the DR HPA's minReplicas is "
                f"memoryApi.minReplicas ({api_min_replicas}) and would scale it up at once; use 0 (an HPA "
                f"is idle while its target has 0 replicas) or at least {api_min_replicas}"
            )
        database = next(pool for pool in self.node_pools if pool.name == "database")
        if max(qdrant_replicas, self.qdrant_replicas) > database.max_nodes:
            problems.append(
                f"dr.compute database pool maxNodes ({database.max_nodes}) is below qdrant.replicas "
                f"({qdrant_replicas}), the size failover scales Qdrant to; raise maxNodes"
            )
        if self.qdrant_replicas > qdrant_replicas:
            problems.append(
                f"dr.compute.qdrantReplicas ({self.qdrant_replicas}) exceeds qdrant.replicas "
                f"({qdrant_replicas})"
            )
        if problems:
            raise ValueError("; ".join(problems))
