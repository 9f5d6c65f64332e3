"""Fixtures for the operator CLI tests: fake credentials + moto, a two-region deployment, CLI runner."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import botocore.retries.standard
import pytest
from kube_fake import FakeKubernetes
from moto import mock_aws
from ops_testkit import PRIMARY_REGION, Clients, Deployment, FakeClock, Result, create_deployment

from ops.cli import main
from ops.kube import HttpKube, KubeApi, cluster_connection, eks_token, http_status
from ops.runtime import Runtime


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fake credentials first, then moto; botocore's retry backoff made instant."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": PRIMARY_REGION,
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setattr(botocore.retries.standard.ExponentialBackoff, "delay_amount", lambda self, ctx: 0)
    with mock_aws():
        yield


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def clients(aws: None) -> Clients:
    return Clients()


@pytest.fixture
def deployment(aws: None, tmp_path: Path) -> Deployment:
    return create_deployment(tmp_path)


@pytest.fixture
def kubernetes() -> Iterator[FakeKubernetes]:
    """The clusters' Kubernetes API servers (and the ALBs' /health/ready), on loopback ports."""
    fake = FakeKubernetes()
    yield fake
    fake.close()


@pytest.fixture
def run_cli(
    clients: Clients, clock: FakeClock, kubernetes: FakeKubernetes, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Result]:
    """Run `platform-ops` in-process with the test clients, fake clock and a scripted prompt.

    Kubernetes: the real connection code (eks:DescribeCluster in the cluster's region, an `aws eks
    get-token` token) with the endpoint swapped for the fake server's loopback URL. The API readiness
    probe is the real `http_status`, sent to the fake server with the API name as Host.
    """

    def kube(runtime: Runtime, region: str, cluster_name: str) -> KubeApi:
        connection = cluster_connection(runtime, region, cluster_name)
        return HttpKube(
            kubernetes.url(connection.name),
            None,
            lambda: eks_token(runtime, region, cluster_name),
            f"EKS cluster {cluster_name} ({region})",
        )

    def http_get(url: str) -> int:
        parts = urlsplit(url)
        cluster = kubernetes.cluster_for_api_name(parts.hostname or "")
        return http_status(kubernetes.url(cluster) + parts.path, host=parts.hostname) if cluster else 0

    def run(*argv: str, answer: str | None = None) -> Result:
        out = io.StringIO()
        runtime = Runtime(
            clients=clients,
            now=clock.now,
            sleep=clock.sleep,
            prompt=lambda _: answer or "",
            out=out,
            stdin_is_tty=lambda: answer is not None,
            kube=kube,
            http_get=http_get,
        )
        code = main(list(argv), runtime)
        captured = capsys.readouterr()
        return Result(code, out.getvalue(), captured.err)

    return run
