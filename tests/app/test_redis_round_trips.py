"""A cached read costs one Redis round trip: the rate-limit count and the cache read go together."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import uvloop
from memory_api.core.config import Settings
from memory_api.services.redis_pipe import PipelinedRedis

from tests.app.app_servers import PostgresServer, RedisServer
from tests.app.conftest import Api, start_api


class RedisMonitor:
    """The commands the app sends, as Redis's MONITOR reports them: each is at least one round trip,
    and commands a Lua script runs are marked as such and not counted (they cost no trip)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.lines: list[str] = []
        self._monitor = socket.create_connection(("127.0.0.1", port), timeout=5)
        self._monitor.sendall(b"MONITOR\r\n")
        self._buffer = b""
        self._read_until("+OK")
        self._markers = 0

    def _read_until(self, needle: str) -> None:
        while needle.encode() not in self._buffer:
            chunk = self._monitor.recv(65536)
            assert chunk, "MONITOR connection closed"
            self._buffer += chunk
        *complete, self._buffer = self._buffer.split(b"\r\n")
        self.lines += [line.decode(errors="replace") for line in complete]

    def _sync(self) -> int:
        """Read MONITOR up to a marker sent now; returns the marker's line number."""
        self._markers += 1
        marker = f"round-trip-marker-{self._markers}"
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as other:
            other.sendall(f"ECHO {marker}\r\n".encode())
            other.recv(64)
        self._read_until(f'{marker}"\r\n')
        return next(i for i, line in enumerate(self.lines) if marker in line)

    def during(self, action: Callable[[], object]) -> list[str]:
        """The app's commands (not from Lua, no health pings) while ``action`` ran."""
        start = self._sync()
        action()
        seen = self.lines[start + 1 : self._sync()]
        return [line for line in seen if " lua] " not in line and '"PING"' not in line.upper()]

    def close(self) -> None:
        self._monitor.close()


@pytest.fixture
def trips(redis_server: RedisServer) -> Iterator[RedisMonitor]:
    monitor = RedisMonitor(redis_server.port)
    yield monitor
    monitor.close()


@pytest.fixture
def redis_api(postgres_server: PostgresServer, redis_server: RedisServer, tmp_path: Path) -> Iterator[Api]:
    redis_server.flush()
    yield from start_api(
        Settings(
            _env_file=None,
            database_url=postgres_server.create_database(
                f"t_{tmp_path.name[-20:].lower().replace('-', '_')}"
            ),
            redis_url=redis_server.url,
            data_dir=tmp_path / "data",
            outbox_poll_seconds=30,  # no background replay round trips while counting
        )
    )


def test_a_cached_get_and_a_cached_search_each_cost_one_round_trip(
    redis_api: Api, trips: RedisMonitor
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
    for _ in range(5):
        sent = trips.during(lambda: api.client.get(f"/v1/memories/{memory_id}", headers=headers))
        assert len(sent) == 1, sent
        sent = trips.during(lambda: api.client.post("/v1/search", json=search, headers=headers))
        assert len(sent) == 1, sent
    # The answers are still the cached documents, limited and counted.
    response = api.client.get(f"/v1/memories/{memory_id}", headers=headers)
    assert response.json()["id"] == memory_id
    assert int(response.headers["RateLimit-Remaining"]) < 60


def test_an_uncached_search_costs_at_most_three_round_trips(redis_api: Api, trips: RedisMonitor) -> None:
    """Count and cache reads, the hits' documents, and storing the result: one trip each."""
    api = redis_api
    headers = api.key("acme")
    api.create(headers, "ferry timetable for the harbour")
    api.state.relay.wake()
    api.wait_indexed()
    api.client.post("/v1/search", json={"query": "warm up"}, headers=headers)  # the tenant's generation
    for i in range(3):
        sent = trips.during(
            lambda i=i: api.client.post("/v1/search", json={"query": f"ferry timetable {i}"}, headers=headers)
        )
        assert len(sent) <= 3, sent


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_the_pipelined_connection_works_on_both_event_loops_uvicorn_uses(
    redis_server: RedisServer, loop: str
) -> None:
    """uvicorn runs on uvloop when it is installed (it is, with uvicorn[standard]); the tests' own
    client runs on asyncio. Concurrent commands share the connection and get their own replies."""

    async def exercise() -> list[object]:
        pipe = PipelinedRedis(redis_server.url, timeout_seconds=2)
        try:
            await pipe.call("SET", "memory-api:pipe-test", b"\x00binary\r\n")
            replies = await asyncio.gather(
                *(pipe.call("ECHO", f"reply-{i}") for i in range(50)),
                pipe.call("GET", "memory-api:pipe-test"),
            )
            replies.append(await pipe.run_script("return ARGV[1]", [], ["scripted"]))
            return replies
        finally:
            pipe.close()

    runner = uvloop.run if loop == "uvloop" else asyncio.run
    replies = runner(exercise())
    assert replies == [f"reply-{i}".encode() for i in range(50)] + [b"\x00binary\r\n", b"scripted"]


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_cache_writes_wait_for_no_reply_and_leave_the_other_replies_in_order(
    redis_server: RedisServer, loop: str
) -> None:
    """A search's result (and a missed get's document) is stored without the request waiting a round
    trip: the write goes out before the response, its reply (even an error) is dropped, and every
    command someone waits for still gets its own reply."""

    async def exercise() -> list[object]:
        pipe = PipelinedRedis(redis_server.url, timeout_seconds=2)
        try:
            assert not pipe.send_nowait([("SET", "memory-api:nowait", b"x")])  # not connected yet
            await pipe.call("PING")
            echoes = [asyncio.ensure_future(pipe.call("ECHO", f"before-{i}")) for i in range(5)]
            assert pipe.send_nowait(
                [
                    ("SET", "memory-api:nowait", b"stored", "EX", 60),
                    ("INCR", "memory-api:nowait"),  # an error reply nobody reads
                ]
            )
            replies: list[object] = list(await asyncio.gather(*echoes))
            replies += await asyncio.gather(*(pipe.call("ECHO", f"after-{i}") for i in range(5)))
            replies.append(await pipe.call("GET", "memory-api:nowait"))
            return replies
        finally:
            pipe.close()

    runner = uvloop.run if loop == "uvloop" else asyncio.run
    replies = runner(exercise())
    assert replies == [f"before-{i}".encode() for i in range(5)] + [
        f"after-{i}".encode() for i in range(5)
    ] + [b"stored"]


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_a_busy_event_loop_does_not_count_a_received_reply_as_a_timeout(
    redis_server: RedisServer, loop: str
) -> None:
    """Under load the event loop can be late past a command's deadline while Redis has long answered.
    That reply must be read, not counted as a timeout: a timeout fails every command on the shared
    connection and opens the breaker (seconds of cache misses and per-replica limits)."""

    async def exercise() -> object:
        pipe = PipelinedRedis(redis_server.url, timeout_seconds=0.1)
        try:
            await pipe.call("PING")
            call = asyncio.ensure_future(pipe.call("ECHO", "late"))
            await asyncio.sleep(0)  # the command is queued
            await asyncio.sleep(0)  # and written
            time.sleep(0.3)  # the loop is busy with other work while Redis answers
            return await call
        finally:
            pipe.close()

    runner = uvloop.run if loop == "uvloop" else asyncio.run
    assert runner(exercise()) == b"late"


def test_a_redis_that_does_not_answer_still_times_out(redis_server: RedisServer) -> None:
    async def exercise() -> float:
        pipe = PipelinedRedis(redis_server.url, timeout_seconds=0.1)
        try:
            await pipe.call("PING")
            started = time.monotonic()
            with pytest.raises(TimeoutError):
                await pipe.call("BLPOP", "memory-api:never", 2)  # blocks for 2 s on the server
            return time.monotonic() - started
        finally:
            pipe.close()

    assert uvloop.run(exercise()) < 0.5
