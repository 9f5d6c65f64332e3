"""Turns settings into connection URLs, reading credentials from AWS Secrets Manager when asked.

RDS manages the master credentials as a JSON secret ``{"username": ..., "password": ...}``; the pod
reads it at start through IRSA (boto3's default credential chain). The region comes from the ARN so
the pod needs no extra setting.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from sqlalchemy.engine import URL, make_url

from memory_api.core.config import Settings


class SecretError(RuntimeError):
    """A secret could not be read or does not have the expected shape."""


def _region_from_arn(arn: str) -> str:
    parts = arn.split(":")
    if len(parts) < 7 or parts[0] != "arn" or parts[2] != "secretsmanager":
        raise SecretError(
            f"'{arn}' is not a Secrets Manager ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)"
        )
    return parts[3]


def read_secret_string(arn: str) -> str:
    """The SecretString of ``arn``; boto3 is imported here so local runs never need AWS."""
    import boto3  # noqa: PLC0415

    client: Any = boto3.client("secretsmanager", region_name=_region_from_arn(arn))
    try:
        value = client.get_secret_value(SecretId=arn)
    except Exception as error:
        raise SecretError(f"cannot read secret {arn}: {type(error).__name__}") from error
    secret = value.get("SecretString")
    if not secret:
        raise SecretError(f"secret {arn} has no SecretString")
    return str(secret)


def database_url(settings: Settings) -> URL:
    """The SQLAlchemy URL for the system of record."""
    if settings.database_url is not None:
        url = make_url(settings.database_url.get_secret_value())
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")
        return url
    if settings.database_host is None:
        return make_url(settings.sqlite_url())
    assert settings.database_secret_arn is not None  # enforced by Settings
    try:
        credentials = json.loads(read_secret_string(settings.database_secret_arn))
        username, password = credentials["username"], credentials["password"]
    except (ValueError, KeyError, TypeError) as error:
        raise SecretError(
            f"secret {settings.database_secret_arn} must be JSON with 'username' and 'password'"
        ) from error
    return URL.create(
        "postgresql+psycopg",
        username=username,
        password=password,
        host=settings.database_host,
        port=settings.database_port,
        database=settings.database_name,
        query={"sslmode": settings.database_sslmode},
    )


def redis_url(settings: Settings) -> str | None:
    """The Redis URL with the AUTH token from Secrets Manager spliced in, or None for in-process mode."""
    if settings.redis_url is None:
        return None
    url = settings.redis_url.get_secret_value()
    if settings.redis_auth_secret_arn is None:
        return url
    token = read_secret_string(settings.redis_auth_secret_arn)
    try:
        parsed = json.loads(token)
        if isinstance(parsed, dict):
            token = next(str(parsed[k]) for k in ("auth_token", "token", "password") if k in parsed)
    except ValueError:
        pass  # a plain-string token
    except StopIteration as error:
        raise SecretError(
            f"secret {settings.redis_auth_secret_arn} JSON needs 'auth_token', 'token' or 'password'"
        ) from error
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f":{quote(token, safe='')}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
