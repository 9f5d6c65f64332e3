"""boto3 clients with bounded retries, and one translation of AWS errors into operator messages.

Throttling is retried by botocore's "standard" retry mode (exponential backoff with jitter, at most
`max_attempts` tries); when AWS still throttles after that, the operator gets one clear message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
)

from ops.errors import OpsError

DEFAULT_MAX_ATTEMPTS = 6
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "PriorRequestNotComplete",
        "RequestThrottled",
        "SlowDown",
    }
)

ClientFactory = Callable[[str, str | None], Any]
T = TypeVar("T")


def client_config(max_attempts: int) -> Config:
    """Standard retry mode: throttling and transient errors retried with backoff, `max_attempts` tries."""
    return Config(retries={"total_max_attempts": max_attempts, "mode": "standard"})


class BotoClients:
    """Creates (and caches) one boto3 client per service and region."""

    def __init__(self, max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> None:
        self.max_attempts = max_attempts
        self._session = boto3.session.Session()
        self._clients: dict[tuple[str, str | None], Any] = {}
        self._config = client_config(max_attempts)

    def __call__(self, service: str, region: str | None) -> Any:
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = self._session.client(service, region_name=region, config=self._config)
        return self._clients[key]


def call(client: Any, operation: str, *, next_step: str, **params: Any) -> Any:
    """Call `client.<operation>(**params)`; AWS errors become an OpsError naming the call and next step."""
    try:
        return getattr(client, operation)(**params)
    except ClientError as exc:
        raise aws_error(exc, operation, client.meta.region_name, next_step) from exc
    except (EndpointConnectionError, ConnectTimeoutError, ConnectionClosedError) as exc:
        region = client.meta.region_name
        raise RegionUnreachableError(
            region,
            f"{region} is unreachable: {operation} could not connect to {client.meta.endpoint_url} ({exc})",
            f"if {region} is having an outage, work from the other region (docs/runbooks/dr-failover.md); "
            "otherwise check your network and re-run; " + next_step,
        ) from exc
    except BotoCoreError as exc:
        raise OpsError(
            f"{operation} in {client.meta.region_name} could not reach AWS: {exc}",
            "check credentials (AWS_PROFILE / `aws sts get-caller-identity`) and network, then re-run; "
            + next_step,
        ) from exc


class RegionUnreachableError(OpsError):
    """No connection to a region's endpoint (refused, timed out, dropped) after botocore's retries."""

    def __init__(self, region: str | None, message: str, next_step: str) -> None:
        super().__init__(message, next_step)
        self.region = region


def aws_error(exc: ClientError, operation: str, region: str | None, next_step: str) -> OpsError:
    error = exc.response.get("Error", {})
    code = error.get("Code", "Unknown")
    attempts = exc.response.get("ResponseMetadata", {}).get("RetryAttempts", 0) + 1
    if code in THROTTLING_CODES:
        return OpsError(
            f"AWS throttled {operation} in {region} ({code}) on all {attempts} attempts",
            "wait a few minutes (or raise --max-attempts) and re-run; " + next_step,
        )
    return OpsError(
        f"{operation} in {region} failed: {code}: {error.get('Message', '')}".rstrip(": "), next_step
    )


def error_code(exc: BaseException) -> str | None:
    """The AWS error code behind an OpsError raised by `call`, if any."""
    cause = exc.__cause__
    if isinstance(cause, ClientError):
        return str(cause.response.get("Error", {}).get("Code"))
    return None
