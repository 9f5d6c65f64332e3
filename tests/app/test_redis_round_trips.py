"""A cached read costs one Redis round trip: the rate-limit count and the cache read go together."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from memory_api.core.config import Settings
from redis.asyncio.connection import AbstractConnection

from tests.app.app_servers import PostgresServer, RedisServer
from tests.app.conftest import Api, start_api


class RoundTrips:
    """Every write of a command (or of a whole pipeline) to Redis, except the client's health pings."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sent: list[bytes] = []
        original = AbstractConnection.send_packed_command

        async def counting(connection: AbstractConnection, command: Any, check_health: bool = True) -> None:
            first = command if isinstance(command, bytes | str) else b"".join(command)
            first = first.encode() if isinstance(first, str) else first
            if b"PING" not in first[:32].upper():
                self.sent.append(first[:80])
            await original(connection, command, check_health)

        monkeypatch.setattr(AbstractConnection, "send_packed_command", counting)

    def during(self, action: Any) -> list[bytes]:
        start = len(self.sent)
        action()
        return self.sent[start:]


@pytest.fixture
def redis_api(postgres_server: PostgresServer, redis_server: RedisServer, tmp_path: Path) -> Iterator[Api]:
    redis_server.flush()
    yield from start_api(
        Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=postgres_server.create_database(
                f"t_{tmp_path.name[-20:].lower().replace('-', '_')}"
            ),
            redis_url=redis_server.url,
            data_dir=tmp_path / "data",
            outbox_poll_seconds=30,  # no background replay round trips while counting
        )
    )


def test_a_cached_get_and_a_cached_search_each_cost_one_round_trip(
    redis_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = redis_api
    headers = api.key("acme")
    memory_id = api.create(headers, "ferry timetable for the harbour")
    api.create(headers, "the dentist is on Tuesday")
    api.state.relay.wake()
    api.wait_indexed()
    search = {"query": "ferry timetable", "top_k": 5}
    for _ in range(2):  # fill the caches
        assert api.client.get(f"/v1/memories/{memory_id}", headers=headers).status_code == 200
        assert api.client.post("/v1/search", json=search, headers=headers).json()["results"]
    trips = RoundTrips(monkeypatch)
    for _ in range(5):
        sent = trips.during(lambda: api.client.get(f"/v1/memories/{memory_id}", headers=headers))
        assert len(sent) == 1, sent
        sent = trips.during(lambda: api.client.post("/v1/search", json=search, headers=headers))
        assert len(sent) == 1, sent
    # The answers are still the cached documents, limited and counted.
    response = api.client.get(f"/v1/memories/{memory_id}", headers=headers)
    assert response.json()["id"] == memory_id
    assert int(response.headers["RateLimit-Remaining"]) < 60


def test_an_uncached_search_costs_at_most_three_round_trips(
    redis_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Count and cache reads, the hits' documents, and storing the result: one trip each."""
    api = redis_api
    headers = api.key("acme")
    api.create(headers, "ferry timetable for the harbour")
    api.state.relay.wake()
    api.wait_indexed()
    api.client.post("/v1/search", json={"query": "warm up"}, headers=headers)  # the tenant's generation
    trips = RoundTrips(monkeypatch)
    for i in range(3):
        sent = trips.during(
            lambda i=i: api.client.post("/v1/search", json={"query": f"ferry timetable {i}"}, headers=headers)
        )
        assert len(sent) <= 3, sent
