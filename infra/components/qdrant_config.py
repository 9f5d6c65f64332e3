"""Stack-file configuration of `QdrantCluster` (the `qdrant` key)."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from infra.config_types import ConfigModel, Resources

_CRON = re.compile(r"^(\S+\s+){4}\S+$")


class QdrantConfig(ConfigModel):
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
