"""Settings read from the environment (prefix ``MEMORY_API_``), with embedded defaults for a newcomer.

With no configuration the service runs on SQLite, Qdrant Edge (the Qdrant engine in-process, on
disk) and an in-process cache, all under ``DATA_DIR``. In the cluster it reads Postgres credentials
(and optionally the Redis AUTH token) from AWS Secrets Manager at start. Outside development the
settings refuse values that would be unsafe with several replicas or on the public network.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, IPvAnyNetwork, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "staging", "production"]
EmbedderName = Literal["hashing", "minilm"]


class Settings(BaseSettings):
    """Every knob of the service; each maps to the env var ``MEMORY_API_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="MEMORY_API_", extra="ignore", frozen=True)

    environment: Environment = Field("development", description="development, staging or production.")
    data_dir: Path = Field(Path("data"), description="Writable directory for SQLite and local Qdrant.")
    host: str = Field("127.0.0.1", description="Interface uvicorn binds; 0.0.0.0 in a container.")
    port: int = Field(8000, ge=1, le=65535, description="HTTP port for the API, health and metrics.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    shutdown_grace_seconds: int = Field(20, ge=1, description="How long SIGTERM waits for requests.")
    max_request_header_bytes: int = Field(
        32 * 1024, ge=1024, description="Request line plus headers; more is answered 431."
    )
    cors_allow_origins: list[str] = Field(default_factory=list, description="Browser origins allowed.")

    database_url: SecretStr | None = Field(None, description="Full SQLAlchemy URL; wins over the parts.")
    database_host: str | None = Field(None, description="Postgres host (cluster); needs the secret ARN.")
    database_port: int = Field(5432, ge=1, le=65535)
    database_name: str = Field("memory", description="Postgres database name.")
    database_secret_arn: str | None = Field(None, description="Secrets Manager ARN of the RDS JSON.")
    database_sslmode: str = Field("require", description="libpq sslmode used with database_host.")
    database_pool_size: int = Field(5, ge=1, le=100)
    database_max_overflow: int = Field(5, ge=0, le=100)
    database_pool_timeout_seconds: float = Field(5.0, gt=0)
    database_connect_timeout_seconds: int = Field(3, ge=1)
    database_statement_timeout_seconds: float = Field(
        2.0, gt=0, description="PostgreSQL statement_timeout: the server cancels longer statements."
    )
    database_socket_timeout_seconds: float = Field(
        3.0, gt=0, description="Longest wait for any answer from PostgreSQL on an open connection."
    )
    database_retry_after_seconds: float = Field(
        2.0, ge=0, description="After the database stopped answering, 503 at once for this long."
    )

    redis_url: SecretStr | None = Field(None, description="redis:// or rediss:// URL; unset = in-process.")
    redis_auth_secret_arn: str | None = Field(None, description="Secrets Manager ARN of the AUTH token.")
    redis_timeout_seconds: float = Field(0.25, gt=0, description="Per-command Redis timeout.")
    redis_retry_after_seconds: float = Field(2.0, ge=0, description="Pause before retrying a dead Redis.")

    qdrant_url: str | None = Field(
        None, description="Qdrant server URL; unset = Qdrant Edge (in-process) in data_dir."
    )
    qdrant_api_key: SecretStr | None = None
    qdrant_collection: str = Field("memories", min_length=1)
    qdrant_timeout_seconds: int = Field(3, ge=1)
    qdrant_edge_search_threads: int = Field(
        1,
        ge=1,
        description="Threads the embedded vector store searches its segments with. One costs a third of "
        "the CPU of the default (one per CPU) at thousands of memories, where a search takes ~0.1 ms.",
    )

    embedder: EmbedderName = Field("hashing", description="hashing (built in) or minilm (extra).")
    embedding_dim: int = Field(384, ge=8, le=4096, description="Vector size of the hashing embedder.")

    otlp_endpoint: str | None = Field(None, description="OTLP/HTTP base URL, e.g. http://jaeger:4318.")
    rate_limit_per_minute: int = Field(60, ge=1)
    rate_limit_per_hour: int = Field(1000, ge=1)
    ip_rate_limit_per_minute: int = Field(60, ge=1, description="Requests per client address and minute.")
    ip_rate_limit_per_hour: int = Field(1000, ge=1, description="Requests per client address and hour.")
    load_balancer_cidrs: list[IPvAnyNetwork] = Field(
        default_factory=list,
        description="Networks of the load balancer(s): only from these is X-Forwarded-For believed.",
    )
    cache_ttl_seconds: int = Field(300, ge=1)
    auth_cache_ttl_seconds: float = Field(10.0, ge=0, description="How long a key lookup is reused.")
    auth_failures_per_minute: int = Field(
        30, ge=1, description="Unknown-key requests one client IP may send per minute (per replica)."
    )
    outbox_poll_seconds: float = Field(1.0, gt=0)
    outbox_max_attempts: int = Field(
        5, ge=1, description="Tries before a row the vector store refuses is parked (dead letter)."
    )

    @model_validator(mode="after")
    def _refuse_unsafe_outside_development(self) -> Settings:
        if self.database_socket_timeout_seconds <= self.database_statement_timeout_seconds:
            raise ValueError(
                "MEMORY_API_DATABASE_SOCKET_TIMEOUT_SECONDS must exceed "
                "MEMORY_API_DATABASE_STATEMENT_TIMEOUT_SECONDS, so a slow statement is cancelled by "
                "the server before the client drops the connection"
            )
        if self.database_host and not self.database_secret_arn and not self.database_url:
            raise ValueError(
                "MEMORY_API_DATABASE_HOST is set without MEMORY_API_DATABASE_SECRET_ARN: "
                "set the ARN of the RDS-managed secret, or give MEMORY_API_DATABASE_URL instead."
            )
        if self.environment == "development":
            return self
        problems = []
        if self.database_url is None and self.database_host is None:
            problems.append(
                "no database configured: set MEMORY_API_DATABASE_HOST + MEMORY_API_DATABASE_SECRET_ARN "
                "(or MEMORY_API_DATABASE_URL)"
            )
        if self.database_url is not None and self.database_url.get_secret_value().startswith("sqlite"):
            problems.append("MEMORY_API_DATABASE_URL points at SQLite; use PostgreSQL")
        if "*" in self.cors_allow_origins:
            problems.append("MEMORY_API_CORS_ALLOW_ORIGINS contains '*'; list the allowed origins")
        if any(network.prefixlen == 0 for network in self.load_balancer_cidrs):
            problems.append(
                "MEMORY_API_LOAD_BALANCER_CIDRS contains a /0 network, which would let any client choose "
                "its address through X-Forwarded-For; list the load balancer's subnets"
            )
        if self.redis_url is None:
            problems.append("MEMORY_API_REDIS_URL is unset; replicas would not share rate limits")
        elif self.environment == "production" and not self.redis_url.get_secret_value().startswith(
            "rediss://"
        ):
            problems.append("MEMORY_API_REDIS_URL must use TLS (rediss://) in production")
        if self.qdrant_url is None:
            problems.append("MEMORY_API_QDRANT_URL is unset; local Qdrant cannot serve several replicas")
        if problems:
            raise ValueError(f"unsafe settings for environment '{self.environment}': " + "; ".join(problems))
        return self

    @property
    def uses_embedded_database(self) -> bool:
        return self.database_url is None and self.database_host is None

    def sqlite_url(self) -> str:
        return f"sqlite:///{(self.data_dir / 'memory.db').resolve()}"

    def qdrant_local_path(self) -> Path:
        return self.data_dir / "qdrant-edge"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings; tests build their own ``Settings`` and pass them to ``create_app``."""
    return Settings()
