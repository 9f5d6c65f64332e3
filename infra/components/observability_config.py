"""Stack-file configuration of `Observability` (the `observability` key).

Alert routing (`alerting`) is `AlertRoutingConfig`, defined beside the Alertmanager document it
shapes (`infra.monitoring_data.alertmanager`); the receiver credentials are secret keys, not part of it.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from infra.config_types import ConfigModel
from infra.monitoring_data.alertmanager import AlertRoutingConfig


class ObservabilityConfig(ConfigModel):
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
        if self.loki_replicas == 2:
            raise ValueError(
                "lokiReplicas is 2: Loki's write quorum with replication factor 2 is both pods, so one pod "
                "restarting stops ingestion; set lokiReplicas to 1 or to 3 or more (replication factor 3)"
            )
        if self.memory_api_trace_sampling_percent < self.trace_sampling_percent:
            raise ValueError(
                "memoryApiTraceSamplingPercent must be at least traceSamplingPercent: the memory API is "
                "sampled more, never less, than the baseline"
            )
        return self
