"""Failure behaviour with real servers stopped mid-run.

Redis down: still served (no cache, in-process limits), readiness degraded, stale entries not served
after it returns. Postgres down: 503 with a clear error, recovery on its own, no acknowledged write
lost. Qdrant down: writes accepted, search 503, and the outbox indexes everything once it is back.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from memory_api.core.config import Settings
from memory_api.db.models import Memory, VectorOutbox
from prometheus_client import REGISTRY
from sqlalchemy import select

from tests.app.app_servers import PostgresServer, RedisServer, free_port
from tests.app.conftest import Api, SettingsFactory, start_api


def _wait_for(predicate: object, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.1)


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    server = RedisServer()
    yield server
    if server.process is not None:
        os.kill(server.process.pid, signal.SIGCONT)
    server.destroy()


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    server = PostgresServer()
    yield server
    server.destroy()


def _cluster_settings(
    postgres: PostgresServer, redis: RedisServer | None, tmp_path: Path, **extra: object
) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=postgres.create_database(f"t_{uuid.uuid4().hex[:12]}"),
        redis_url=redis.url if redis else None,
        data_dir=tmp_path / "data",
        redis_retry_after_seconds=0.2,
        outbox_poll_seconds=0.2,
        **extra,  # type: ignore[arg-type]
    )


def test_redis_down_still_serves_and_readiness_reports_degraded(
    postgres_server: PostgresServer, own_redis: RedisServer, tmp_path: Path
) -> None:
    for api in start_api(_cluster_settings(postgres_server, own_redis, tmp_path, rate_limit_per_minute=6)):
        headers = api.key("acme")
        kept = api.create(headers, "survives the redis outage")
        api.wait_indexed()
        own_redis.stop()

        assert api.client.get(f"/v1/memories/{kept}", headers=headers).status_code == 200
        created = api.client.post(
            "/v1/memories", json={"text": "written while redis is down"}, headers=headers
        )
        assert created.status_code == 201
        assert (
            api.client.post("/v1/search", json={"query": "redis outage"}, headers=headers).status_code == 200
        )
        ready = api.client.get("/health/ready")
        assert ready.status_code == 200
        assert ready.json()["status"] == "degraded"
        assert ready.json()["failed"] == ["redis"]
        # The in-process fallback still limits: 4 requests used above, the 7th is refused.
        statuses = [api.client.get("/v1/memories", headers=headers).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]

        own_redis.start()
        _wait_for(lambda api=api: api.client.get("/health/ready").json()["status"] == "ready")


def test_a_memory_deleted_while_redis_was_unreachable_is_not_served_from_its_stale_cache_entry(
    postgres_server: PostgresServer, own_redis: RedisServer, tmp_path: Path
) -> None:
    for api in start_api(_cluster_settings(postgres_server, own_redis, tmp_path)):
        headers = api.key("acme")
        memory_id = api.create(headers, "cached then deleted")
        assert api.client.get(f"/v1/memories/{memory_id}", headers=headers).status_code == 200
        assert own_redis.process is not None
        os.kill(own_redis.process.pid, signal.SIGSTOP)  # unreachable, but keeps its data
        assert api.client.delete(f"/v1/memories/{memory_id}", headers=headers).status_code == 204
        os.kill(own_redis.process.pid, signal.SIGCONT)
        _wait_for(lambda api=api: api.client.get("/health/ready").json()["status"] == "ready")
        assert api.client.get(f"/v1/memories/{memory_id}", headers=headers).status_code == 404


def test_postgres_down_answers_503_recovers_and_loses_no_acknowledged_write(
    own_postgres: PostgresServer, tmp_path: Path
) -> None:
    errors_before = REGISTRY.get_sample_value("database_connection_errors_total") or 0.0
    settings = _cluster_settings(
        own_postgres,
        None,
        tmp_path,
        database_pool_timeout_seconds=1,
        rate_limit_per_minute=100_000,
        ip_rate_limit_per_minute=100_000,
    )
    for api in start_api(settings):
        headers = api.key("acme")
        acknowledged: list[str] = []
        statuses: list[int] = []
        stopper = threading.Timer(0.5, own_postgres.stop)
        stopper.start()
        deadline = time.monotonic() + 2.5
        while time.monotonic() < deadline:  # writes race with the stop
            response = api.client.post("/v1/memories", json={"text": f"w{len(statuses)}"}, headers=headers)
            statuses.append(response.status_code)
            if response.status_code == 201:
                acknowledged.append(response.json()["id"])
        stopper.join()
        assert set(statuses) <= {201, 503}, statuses
        assert 503 in statuses
        assert acknowledged

        down = api.client.post("/v1/memories", json={"text": "while down"}, headers=headers)
        assert down.status_code == 503
        assert down.json()["error"]["code"] == "database_unavailable"
        assert down.headers["Retry-After"]
        ready = api.client.get("/health/ready")
        assert ready.status_code == 503
        assert "database" in ready.json()["failed"]
        assert (REGISTRY.get_sample_value("database_connection_errors_total") or 0.0) > errors_before

        own_postgres.start()
        _wait_for(lambda api=api: api.client.get("/health/ready").status_code == 200)
        assert (
            api.client.post("/v1/memories", json={"text": "after recovery"}, headers=headers).status_code
            == 201
        )
        with api.state.sessions() as session:
            stored = set(session.scalars(select(Memory.id)))
        missing = set(acknowledged) - stored
        assert not missing, f"{len(missing)} acknowledged writes lost"


def test_qdrant_down_accepts_writes_refuses_search_and_indexes_everything_later(
    make_settings: SettingsFactory,
) -> None:
    dead_qdrant = f"http://127.0.0.1:{free_port()}"
    settings = make_settings(qdrant_url=dead_qdrant, qdrant_timeout_seconds=1)
    texts = [f"outage note number {i} about the blue bicycle" for i in range(5)]
    for api in start_api(settings):
        headers = api.key("acme")
        written = [api.create(headers, text) for text in texts]
        search = api.client.post("/v1/search", json={"query": "blue bicycle"}, headers=headers)
        assert search.status_code == 503
        assert search.json()["error"]["code"] == "vector_store_unavailable"
        ready = api.client.get("/health/ready")
        assert ready.status_code == 200
        assert ready.json()["failed"] == ["vector_store"]
        assert api.state.relay.pending() == len(texts)
        time.sleep(1.0)  # several relay rounds against the dead server
        with api.state.sessions() as session:  # an outage is not the rows' fault: nothing counted
            assert set(session.scalars(select(VectorOutbox.attempts))) == {0}
        assert api.state.relay.counts().parked == 0
        key = headers
    # Qdrant "returns" (embedded Qdrant Edge on the same database): the outbox fills it.
    for api in start_api(settings.model_copy(update={"qdrant_url": None})):
        api.wait_indexed()
        results = api.client.post(
            "/v1/search", json={"query": "blue bicycle", "top_k": 10}, headers=key
        ).json()["results"]
        assert sorted(r["id"] for r in results) == sorted(written)


def test_a_hung_postgres_gives_fast_503s_readiness_reports_it_and_recovery_needs_nobody(
    own_postgres: PostgresServer, tmp_path: Path
) -> None:
    settings = _cluster_settings(
        own_postgres,
        None,
        tmp_path,
        database_statement_timeout_seconds=0.5,
        database_socket_timeout_seconds=1.0,
        database_connect_timeout_seconds=1,
        database_pool_timeout_seconds=1,
        database_retry_after_seconds=1.0,
        rate_limit_per_minute=100_000,
        ip_rate_limit_per_minute=100_000,
    )
    for api in start_api(settings):
        headers = api.key("acme")
        api.create(headers, "written before the stall")
        assert api.client.get("/v1/memories", headers=headers).status_code == 200
        safety = threading.Timer(12.0, own_postgres.resume)  # main hung for the whole stall
        own_postgres.pause()
        safety.start()
        try:
            outcomes: list[tuple[int, float, str | None]] = []

            def call(
                index: int,
                api: Api = api,
                headers: dict[str, str] = headers,
                outcomes: list[tuple[int, float, str | None]] = outcomes,
            ) -> None:
                started = time.monotonic()
                if index % 2:
                    response = api.client.get("/v1/memories", headers=headers)
                else:
                    response = api.client.post("/v1/memories", json={"text": f"s{index}"}, headers=headers)
                outcomes.append(
                    (response.status_code, time.monotonic() - started, response.headers.get("Retry-After"))
                )

            workers = [threading.Thread(target=call, args=(i,)) for i in range(8)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
            assert [status for status, _, _ in outcomes] == [503] * 8, outcomes
            assert max(elapsed for _, elapsed, _ in outcomes) < 3.0, outcomes
            assert all(retry_after for _, _, retry_after in outcomes)

            # Once the breaker is open, the next request does not wait out a timeout.
            started = time.monotonic()
            fast = api.client.get("/v1/memories", headers=headers)
            assert fast.status_code == 503
            assert fast.json()["error"]["code"] == "database_unavailable"
            assert time.monotonic() - started < 0.5

            started = time.monotonic()
            ready = api.client.get("/health/ready")
            assert time.monotonic() - started < 3.0
            assert ready.status_code == 503
            assert "database" in ready.json()["failed"]
        finally:
            own_postgres.resume()
            safety.cancel()
        _wait_for(lambda api=api: api.client.get("/health/ready").status_code == 200, timeout=10)
        assert api.client.get("/v1/memories", headers=headers).status_code == 200
        assert api.client.post("/v1/memories", json={"text": "after"}, headers=headers).status_code == 201


def test_a_delete_during_a_redis_stall_reaches_other_replicas_even_if_the_deleting_one_restarts(
    postgres_server: PostgresServer, own_redis: RedisServer, tmp_path: Path
) -> None:
    settings_a = _cluster_settings(postgres_server, own_redis, tmp_path / "a")
    settings_b = settings_a.model_copy(update={"data_dir": tmp_path / "b" / "data"})
    replica_a, replica_b = start_api(settings_a), start_api(settings_b)
    api_a, api_b = next(replica_a), next(replica_b)
    try:
        headers = api_a.key("acme")
        memory_id = api_a.create(headers, "read on both replicas, then deleted")
        assert api_b.client.get(f"/v1/memories/{memory_id}", headers=headers).status_code == 200
        assert own_redis.process is not None
        os.kill(own_redis.process.pid, signal.SIGSTOP)
        assert api_a.client.delete(f"/v1/memories/{memory_id}", headers=headers).status_code == 204
        replica_a.close()  # A restarts before Redis returns: its in-process pending list is gone
        os.kill(own_redis.process.pid, signal.SIGCONT)
        _wait_for(
            lambda: api_b.client.get(f"/v1/memories/{memory_id}", headers=headers).status_code == 404,
            timeout=5,
        )
    finally:
        replica_a.close()
        replica_b.close()
