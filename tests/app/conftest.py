"""Fixtures: the app on embedded defaults and on real PostgreSQL + Redis (Qdrant Edge in-process)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from memory_api.core.config import Settings
from memory_api.main import create_app
from memory_api.services.keys import create_key
from memory_api.state import AppState

from tests.app.app_servers import PostgresServer, RedisServer

BACKENDS = ["embedded", "postgres_redis"]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer()
    yield server
    server.destroy()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    yield server
    server.destroy()


SettingsFactory = Callable[..., Settings]


@pytest.fixture(params=BACKENDS)
def make_settings(request: pytest.FixtureRequest, tmp_path: Path) -> SettingsFactory:
    """Settings for the backend under test; keyword overrides win."""
    base: dict[str, Any] = {"data_dir": tmp_path / "data", "outbox_poll_seconds": 0.2}
    if request.param == "postgres_redis":
        postgres: PostgresServer = request.getfixturevalue("postgres_server")
        redis: RedisServer = request.getfixturevalue("redis_server")
        redis.flush()
        base["database_url"] = postgres.create_database(f"t_{uuid.uuid4().hex[:12]}")
        base["redis_url"] = redis.url

    def factory(**overrides: Any) -> Settings:
        return Settings(_env_file=None, **{**base, **overrides})  # type: ignore[call-arg]

    return factory


@dataclass
class Api:
    client: TestClient
    state: AppState

    def key(self, tenant: str) -> dict[str, str]:
        with self.state.sessions() as session:
            return {"X-API-Key": create_key(session, tenant).secret}

    def create(self, headers: dict[str, str], text: str, **fields: Any) -> str:
        response = self.client.post("/v1/memories", json={"text": text, **fields}, headers=headers)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def wait_indexed(self, timeout: float = 10.0) -> None:
        """Until the outbox relay has moved every write into Qdrant."""
        deadline = time.monotonic() + timeout
        while self.state.relay.pending() or not self.state.relay.idle:
            assert time.monotonic() < deadline, "outbox not drained"
            time.sleep(0.02)


def start_api(settings: Settings) -> Generator[Api, None, None]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield Api(client, client.app.state.memory_api)  # type: ignore[attr-defined]


@pytest.fixture
def api(make_settings: SettingsFactory) -> Iterator[Api]:
    yield from start_api(make_settings())
