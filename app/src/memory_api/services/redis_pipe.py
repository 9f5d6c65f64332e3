"""A pipelined Redis connection for the per-request commands (the rate-limit script, cache reads).

redis-py's asyncio client spends ~150 µs of CPU per command (pool checkout, retry wrapper, one
timeout context per read and write, its reply parser) and opens a connection per concurrent
request; at 32 concurrent requests a cached read spent more time there than in the rest of the
app. Here every command goes out on one connection, those issued in one event-loop turn in one
write; replies are parsed by hiredis and matched to their commands in order (Redis answers in
order), so concurrent requests share round trips and system calls: ~35 µs a command. Everything
else (deletes, readiness pings) stays on redis-py.

Failure handling matches redis-py's: a command with no answer within the timeout, or a lost
connection, fails with an ``OSError`` (which ``RedisGate`` turns into its breaker) and drops the
connection, so the next command reconnects instead of queuing behind a dead socket.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from typing import Any, cast

import hiredis
from redis.connection import parse_url
from redis.exceptions import NoScriptError, ResponseError

Command = tuple[str | bytes | int, ...]
LATE_LOOP_GRACE_SECONDS = 0.005  # after a timeout, how long to wait for replies the loop has not read


def pack(command: Command) -> bytes:
    parts = [b"*%d\r\n" % len(command)]
    for argument in command:
        value = argument if isinstance(argument, bytes) else str(argument).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(value), value))
    return b"".join(parts)


class _Protocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.reader = hiredis.Reader()
        # One entry per command sent, in order: its waiter, or None if nobody waits for the reply.
        self.waiting: deque[asyncio.Future[Any] | None] = deque()
        self.transport: asyncio.Transport | None = None
        self.outgoing: list[bytes] = []  # commands issued in this event-loop turn, written at its end

    def write_soon(self, data: bytes) -> None:
        """One write (one system call) per event-loop turn for all the commands issued in it."""
        if not self.outgoing:
            asyncio.get_running_loop().call_soon(self._flush)
        self.outgoing.append(data)

    def flush(self) -> None:
        """Write what this turn queued now (the scheduled flush then finds nothing)."""
        self._flush()

    def _flush(self) -> None:
        if not self.outgoing:
            return
        data, self.outgoing = b"".join(self.outgoing), []
        if self.transport is not None:
            self.transport.write(data)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # (uvloop's transports implement asyncio.Transport without subclassing it)
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.reader.feed(data)
        while (reply := self.reader.gets()) is not False:
            if not self.waiting:
                break  # (cannot happen: Redis sends nothing unasked on this connection)
            waiter = self.waiting.popleft()
            # A command that timed out keeps its place (so does one nobody waits for): reply dropped
            if waiter is not None and not waiter.done():
                waiter.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        while self.waiting:
            waiter = self.waiting.popleft()
            if waiter is not None and not waiter.done():
                waiter.set_exception(ConnectionResetError("Redis closed the connection"))


class PipelinedRedis:
    def __init__(self, url: str, timeout_seconds: float) -> None:
        options: dict[str, Any] = parse_url(url)  # type: ignore[no-untyped-call]
        self.host: str = options.get("host", "localhost")
        self.port: int = int(options.get("port", 6379))
        self.db = int(options.get("db", 0))
        self.username: str | None = options.get("username")
        self.password: str | None = options.get("password")
        self.ssl = ssl.create_default_context() if url.startswith("rediss://") else None
        self.timeout_seconds = timeout_seconds
        self._protocol: _Protocol | None = None
        self._connecting: asyncio.Lock | None = None
        self._shas: dict[str, str] = {}

    async def _connected(self) -> _Protocol:
        protocol = self._protocol
        if protocol is not None and protocol.transport is not None:
            return protocol
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            if self._protocol is None or self._protocol.transport is None:
                loop = asyncio.get_running_loop()
                _, fresh = await asyncio.wait_for(
                    loop.create_connection(_Protocol, self.host, self.port, ssl=self.ssl),
                    self.timeout_seconds,
                )
                hello: list[Command] = []
                if self.password:
                    user = (self.username,) if self.username else ()
                    hello.append(("AUTH", *user, self.password))
                if self.db:
                    hello.append(("SELECT", self.db))
                self._protocol = fresh
                for reply in await self._send(fresh, hello):
                    _raise_error(reply)
            return self._protocol

    async def _send(self, protocol: _Protocol, commands: list[Command]) -> list[Any]:
        if not commands:
            return []
        transport = protocol.transport
        if transport is None:
            raise ConnectionResetError("Redis connection lost")
        loop = asyncio.get_running_loop()
        waiters = [loop.create_future() for _ in commands]
        protocol.waiting.extend(waiters)
        protocol.write_soon(b"".join(pack(command) for command in commands))
        deadline = loop.call_later(self.timeout_seconds, _expire, loop, transport, waiters, True)
        try:
            return [await waiter for waiter in waiters]
        except BaseException:
            for waiter in waiters:  # the rest of this batch is not awaited: settle it quietly
                if not waiter.done():
                    waiter.cancel()
                elif not waiter.cancelled():
                    waiter.exception()
            raise
        finally:
            deadline.cancel()

    async def pipeline(self, commands: list[Command]) -> list[Any]:
        """Send the commands together and return their replies (error replies raise)."""
        replies = await self._send(await self._connected(), commands)
        for reply in replies:
            _raise_error(reply)
        return replies

    def send_nowait(self, commands: list[Command]) -> bool:
        """Write the commands now, nobody waiting for their replies (dropped as they come, errors
        too); False, sending nothing, if the connection is not up. For writes whose outcome changes
        nothing for the request, such as filling the cache: the request need not wait a round trip."""
        protocol = self._protocol
        if protocol is None or protocol.transport is None:
            return False
        protocol.waiting.extend([None] * len(commands))
        protocol.outgoing.append(b"".join(pack(command) for command in commands))
        protocol.flush()  # now, before the response goes out: a client's next request finds the entry
        return True

    async def call(self, *command: str | bytes | int) -> Any:
        return (await self.pipeline([command]))[0]

    async def run_script(self, source: str, keys: list[str], args: list[str | int]) -> Any:
        """EVALSHA, loading the script first if this Redis does not have it (a restart, a failover)."""
        sha = self._shas.get(source)
        if sha is not None:
            try:
                return await self.call("EVALSHA", sha, len(keys), *keys, *args)
            except NoScriptError:
                pass
        loaded = await self.call("SCRIPT", "LOAD", source)
        self._shas[source] = loaded.decode() if isinstance(loaded, bytes) else str(loaded)
        return await self.call("EVALSHA", self._shas[source], len(keys), *keys, *args)

    def close(self) -> None:
        if self._protocol is not None and self._protocol.transport is not None:
            self._protocol.transport.close()


def _expire(
    loop: asyncio.AbstractEventLoop,
    transport: asyncio.Transport,
    waiters: list[asyncio.Future[Any]],
    first: bool,
) -> None:
    """A batch's timeout: unless its replies came, fail the batch and drop the connection (its
    answers may never come: the next command reconnects).

    The first time, it looks again after the loop next read its sockets: when the event loop itself
    was busy past the deadline (a burst of CPU work on a loaded machine), timers run before sockets
    are read (uvloop) or in the same turn, so a reply already received counted as missing; that
    failed every command on the connection and opened the breaker on a Redis that had answered."""
    if waiters[-1].done():  # (replies come in order: the last one done means all are)
        return
    if first:
        loop.call_later(LATE_LOOP_GRACE_SECONDS, _expire, loop, transport, waiters, False)
        return
    transport.close()
    for waiter in waiters:
        if not waiter.done():
            waiter.set_exception(TimeoutError("Redis did not answer in time"))


def _raise_error(reply: Any) -> None:
    if isinstance(reply, hiredis.ReplyError):
        message = str(reply)
        raise NoScriptError(message) if message.startswith("NOSCRIPT") else ResponseError(message)
