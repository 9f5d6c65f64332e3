"""Per-key rate limits with RateLimit-* and Retry-After headers, shared by replicas through Redis."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from memory_api.core.config import Settings
from prometheus_client import REGISTRY

from tests.app.app_servers import PostgresServer, RedisServer
from tests.app.conftest import Api, SettingsFactory, start_api


def _exceeded(window: str) -> float:
    return REGISTRY.get_sample_value("rate_limit_exceeded_total", {"window": window}) or 0.0


@pytest.fixture
def limited_api(make_settings: SettingsFactory) -> Iterator[Api]:
    yield from start_api(make_settings(rate_limit_per_minute=5, rate_limit_per_hour=100))


def test_the_minute_limit_refuses_with_retry_after(limited_api: Api) -> None:
    headers = limited_api.key("acme")
    before = _exceeded("minute")
    remaining = []
    for _ in range(5):
        response = limited_api.client.get("/v1/memories", headers=headers)
        assert response.status_code == 200
        assert response.headers["RateLimit-Limit"] == "5"
        remaining.append(int(response.headers["RateLimit-Remaining"]))
    assert remaining == [4, 3, 2, 1, 0]
    refused = limited_api.client.get("/v1/memories", headers=headers)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["RateLimit-Remaining"] == "0"
    assert _exceeded("minute") == before + 1
    # Another key of the same tenant has its own budget; health is never limited.
    assert limited_api.client.get("/v1/memories", headers=limited_api.key("acme")).status_code == 200
    assert limited_api.client.get("/health/live").status_code == 200


def test_the_hour_limit_applies_when_lower(make_settings: SettingsFactory) -> None:
    for api in start_api(make_settings(rate_limit_per_minute=50, rate_limit_per_hour=3)):
        headers = api.key("acme")
        before = _exceeded("hour")
        statuses = [api.client.get("/v1/memories", headers=headers).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        assert _exceeded("hour") == before + 1


def test_two_replicas_share_one_limit_through_redis(
    postgres_server: PostgresServer, redis_server: RedisServer, tmp_path: Path
) -> None:
    settings = Settings(
        database_url=postgres_server.create_database(f"t_{uuid.uuid4().hex[:12]}"),
        redis_url=redis_server.url,
        data_dir=tmp_path / "replica-a",
        rate_limit_per_minute=4,
        rate_limit_per_hour=100,
    )
    replica_a = start_api(settings)
    api_a = next(replica_a)
    replica_b = start_api(settings.model_copy(update={"data_dir": settings.data_dir.parent / "replica-b"}))
    api_b = next(replica_b)
    try:
        headers = api_a.key("acme")
        statuses = [
            (api_a if i % 2 == 0 else api_b).client.get("/v1/memories", headers=headers).status_code
            for i in range(5)
        ]
        assert statuses == [200, 200, 200, 200, 429]
    finally:
        for generator in (replica_b, replica_a):
            generator.close()


def test_cached_reads_carry_the_same_body_and_headers_as_fresh_ones(api: Api) -> None:
    """Cache hits are served as stored JSON bytes; they must look exactly like the first answer."""
    headers = api.key("acme")
    memory_id = api.create(headers, "ferry timetable for the harbour", tags=["travel"])
    api.wait_indexed()
    for method, path, body in (
        ("GET", f"/v1/memories/{memory_id}", None),
        ("POST", "/v1/search", {"query": "ferry timetable"}),
    ):
        fresh, cached = (api.client.request(method, path, json=body, headers=headers) for _ in range(2))
        assert fresh.status_code == cached.status_code == 200
        assert cached.json() == fresh.json()
        assert cached.headers["content-type"] == "application/json"
        assert int(cached.headers["RateLimit-Remaining"]) == int(fresh.headers["RateLimit-Remaining"]) - 1
        assert cached.headers["X-Request-ID"] != fresh.headers["X-Request-ID"]
    found = api.client.post("/v1/search", json={"query": "ferry timetable"}, headers=headers).json()
    assert [result["id"] for result in found["results"]] == [memory_id]
