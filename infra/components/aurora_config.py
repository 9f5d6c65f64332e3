"""Stack-file configuration of `AuroraPostgres` (the `database` key): the primary region's cluster."""

from __future__ import annotations

import re
from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from infra.config_types import ConfigModel


class ReaderAutoscalingConfig(ConfigModel):
    """Application Auto Scaling of Aurora readers on their average CPU."""

    max_readers: int = Field(ge=1, le=15, description="Most readers auto scaling may run.")
    target_cpu_percent: int = Field(default=60, ge=10, le=90, description="Average reader CPU to hold.")
    scale_in_cooldown_seconds: int = Field(default=300, ge=0, description="Wait after removing a reader.")
    scale_out_cooldown_seconds: int = Field(default=120, ge=0, description="Wait after adding a reader.")


class DatabaseConfig(ConfigModel):
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
