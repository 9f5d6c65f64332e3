"""Reads the Aurora global database: its members, which region writes, and the replication lag.

The global cluster is always read through the DR region's endpoint, so `dr status` and `dr failover`
keep working while the primary region is impaired.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from ops.aws import call
from ops.config import DrConfig, cluster_arn_region
from ops.errors import OpsError
from ops.runtime import Runtime

# AWS (Aurora User Guide, "Using switchover or failover in Amazon Aurora Global Database"): for Aurora
# PostgreSQL watch `AuroraGlobalDBRPOLag` of every secondary; `AuroraGlobalDBReplicationLag` is the older
# metric. Both are milliseconds, published by the secondary cluster in its own region.
LAG_METRICS = ("AuroraGlobalDBRPOLag", "AuroraGlobalDBReplicationLag")
LAG_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class LagReading:
    """The latest replication lag datapoint of one secondary and the metric it came from."""

    milliseconds: float
    metric: str


@dataclass(frozen=True)
class Member:
    """One regional cluster of the global database."""

    arn: str
    is_writer: bool
    synchronization_status: str | None

    @property
    def region(self) -> str:
        return cluster_arn_region(self.arn)

    @property
    def identifier(self) -> str:
        return self.arn.rsplit(":", 1)[-1]


@dataclass(frozen=True)
class GlobalTopology:
    """A snapshot of `describe_global_clusters` for one global cluster."""

    identifier: str
    status: str
    engine: str
    engine_version: str
    members: tuple[Member, ...]
    failover_state: dict[str, Any] | None

    @property
    def writer(self) -> Member | None:
        writers = [m for m in self.members if m.is_writer]
        return writers[0] if len(writers) == 1 else None

    @property
    def readers(self) -> tuple[Member, ...]:
        return tuple(m for m in self.members if not m.is_writer)

    def member(self, arn: str) -> Member | None:
        return next((m for m in self.members if m.arn == arn), None)

    @property
    def operation_in_progress(self) -> bool:
        return bool(self.failover_state and self.failover_state.get("Status"))


def read_topology(runtime: Runtime, config: DrConfig, next_step: str) -> GlobalTopology:
    """Describe the configured global cluster (via the DR region) and return its members."""
    rds = runtime.client("rds", config.dr_region)
    response = call(
        rds,
        "describe_global_clusters",
        GlobalClusterIdentifier=config.global_cluster_identifier,
        next_step=next_step,
    )
    matches = [
        g
        for g in response.get("GlobalClusters", [])
        if g.get("GlobalClusterIdentifier", "").lower() == config.global_cluster_identifier.lower()
    ]
    if not matches:
        raise OpsError(
            f"global cluster {config.global_cluster_identifier} was not found "
            f"(looked via {config.dr_region})",
            "check globalClusterIdentifier in the outputs file and the AWS account/credentials in use",
        )
    found = matches[0]
    members = tuple(
        Member(
            arn=m["DBClusterArn"],
            is_writer=bool(m.get("IsWriter")),
            synchronization_status=m.get("SynchronizationStatus"),
        )
        for m in found.get("GlobalClusterMembers", [])
    )
    return GlobalTopology(
        identifier=found["GlobalClusterIdentifier"],
        status=found.get("Status", "unknown"),
        engine=found.get("Engine", ""),
        engine_version=found.get("EngineVersion", ""),
        members=members,
        failover_state=found.get("FailoverState") or None,
    )


def replication_lag(runtime: Runtime, member: Member, next_step: str) -> LagReading | None:
    """Latest lag (ms) of a secondary cluster, `AuroraGlobalDBRPOLag` first; None without a datapoint."""
    cloudwatch = runtime.client("cloudwatch", member.region)
    end = runtime.now()
    queries = [
        {
            "Id": f"m{index}",
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/RDS",
                    "MetricName": metric,
                    "Dimensions": [{"Name": "DBClusterIdentifier", "Value": member.identifier}],
                },
                "Period": 60,
                "Stat": "Maximum",
            },
        }
        for index, metric in enumerate(LAG_METRICS)
    ]
    response = call(
        cloudwatch,
        "get_metric_data",
        MetricDataQueries=queries,
        StartTime=end - LAG_WINDOW,
        EndTime=end,
        ScanBy="TimestampDescending",
        next_step=next_step,
    )
    results = {result.get("Id"): result for result in response.get("MetricDataResults", [])}
    for index, metric in enumerate(LAG_METRICS):
        result = results.get(f"m{index}", {})
        pairs = sorted(
            zip(result.get("Timestamps", []), result.get("Values", []), strict=False), reverse=True
        )
        if pairs:
            return LagReading(float(pairs[0][1]), metric)
    return None
