"""Settings: embedded defaults, refusal of unsafe values outside development, Secrets Manager (moto)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from memory_api.core.config import Settings
from memory_api.core.secrets import database_url, redis_url
from moto import mock_aws
from pydantic import ValidationError

REGION = "eu-west-1"
CLUSTER = {
    "database_host": "db.internal",
    "database_secret_arn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds-abc",
    "redis_url": "rediss://cache.internal:6379/0",
    "qdrant_url": "http://qdrant.memory.svc:6333",
}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield boto3.client("secretsmanager", region_name=REGION)


def test_no_configuration_means_embedded_sqlite_under_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    assert settings.environment == "development"
    url = database_url(settings)
    assert url.get_backend_name() == "sqlite"
    assert url.database == str(tmp_path / "memory.db")
    assert redis_url(settings) is None
    assert settings.qdrant_url is None
    assert (settings.rate_limit_per_minute, settings.rate_limit_per_hour, settings.port) == (60, 1000, 8000)


def test_env_vars_use_the_memory_api_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEMORY_API_RATE_LIMIT_PER_MINUTE", "7")
    monkeypatch.setenv("MEMORY_API_CORS_ALLOW_ORIGINS", '["https://app.example.com"]')
    settings = Settings()
    assert settings.rate_limit_per_minute == 7
    assert settings.cors_allow_origins == ["https://app.example.com"]


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"database_host": None, "database_secret_arn": None}, "no database configured"),
        ({"database_host": None, "database_url": "sqlite:///x.db"}, "SQLite"),
        ({"cors_allow_origins": ["*"]}, "'*'"),
        ({"redis_url": None}, "REDIS_URL is unset"),
        ({"redis_url": "redis://cache:6379"}, "rediss://"),
        ({"qdrant_url": None}, "QDRANT_URL is unset"),
        ({"database_secret_arn": None}, "DATABASE_SECRET_ARN"),
    ],
)
def test_production_refuses_unsafe_values(change: dict[str, object], complaint: str) -> None:
    with pytest.raises(ValidationError, match=complaint.replace("*", r"\*")):
        Settings(_env_file=None, environment="production", **{**CLUSTER, **change})  # type: ignore[call-arg]


def test_production_accepts_the_cluster_settings() -> None:
    settings = Settings(_env_file=None, environment="production", **CLUSTER)  # type: ignore[call-arg]
    assert settings.environment == "production"


def test_database_credentials_come_from_the_rds_secret_with_tls(aws: object) -> None:
    client = aws
    arn = client.create_secret(  # type: ignore[attr-defined]
        Name="rds-abc",
        SecretString=json.dumps({"username": "memory", "password": "p@ss/w:rd", "engine": "postgres"}),
    )["ARN"]
    settings = Settings(_env_file=None, **{**CLUSTER, "database_secret_arn": arn})  # type: ignore[call-arg]
    url = database_url(settings)
    assert (url.drivername, url.username, url.password) == ("postgresql+psycopg", "memory", "p@ss/w:rd")
    assert (url.host, url.port, url.database) == ("db.internal", 5432, "memory")
    assert url.query["sslmode"] == "require"
    assert "p@ss" not in repr(url)  # SQLAlchemy masks the password
    assert "p@ss" not in repr(settings)


def test_a_secret_without_credentials_fails_with_a_clear_message(aws: object) -> None:
    arn = aws.create_secret(Name="rds-bad", SecretString='{"user": "x"}')["ARN"]  # type: ignore[attr-defined]
    settings = Settings(_env_file=None, **{**CLUSTER, "database_secret_arn": arn})  # type: ignore[call-arg]
    with pytest.raises(RuntimeError, match="'username' and 'password'"):
        database_url(settings)


@pytest.mark.parametrize("secret", ["tok3n/with+chars", json.dumps({"auth_token": "tok3n/with+chars"})])
def test_redis_auth_token_is_spliced_into_the_url(aws: object, secret: str) -> None:
    arn = aws.create_secret(Name="redis-auth", SecretString=secret)["ARN"]  # type: ignore[attr-defined]
    settings = Settings(_env_file=None, **CLUSTER, redis_auth_secret_arn=arn)  # type: ignore[call-arg]
    assert redis_url(settings) == "rediss://:tok3n%2Fwith%2Bchars@cache.internal:6379/0"


def test_a_missing_secret_names_the_arn(aws: object) -> None:
    settings = Settings(_env_file=None, **CLUSTER)  # type: ignore[call-arg]
    with pytest.raises(RuntimeError, match="rds-abc"):
        database_url(settings)
