"""A shared Redis client behind a short circuit breaker: a dead Redis costs one timeout, not one per call."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from memory_api.services.redis_pipe import Command, PipelinedRedis

log = structlog.get_logger("memory_api.redis")
T = TypeVar("T")
REDIS_PREFIX = "memory-api:"  # every key the app writes starts with it


class RedisUnavailableError(Exception):
    pass


class RedisGate:
    def __init__(self, client: Redis, retry_after_seconds: float, pipe: PipelinedRedis) -> None:
        self.client = client
        self.pipe = pipe  # the per-request commands go here (see redis_pipe.py)
        self.retry_after_seconds = retry_after_seconds
        self._down_until = 0.0
        self._failed = False
        self._recovery_hooks: list[Callable[[], Awaitable[None]]] = []

    @property
    def available(self) -> bool:
        return time.monotonic() >= self._down_until

    def on_recovery(self, hook: Callable[[], Awaitable[None]]) -> None:
        self._recovery_hooks.append(hook)

    async def run(self, operation: Callable[[Redis], Awaitable[T]], *, probe: bool = False) -> T:
        """Run ``operation``, or raise ``RedisUnavailableError`` at once while the breaker is open.

        ``probe`` (readiness) always tries, so recovery is seen as soon as Redis answers.
        """
        if not probe and not self.available:
            raise RedisUnavailableError
        try:
            result = await operation(self.client)
        except (RedisError, OSError) as error:
            if not self._failed:
                log.warning("redis_unavailable", error=type(error).__name__)
            self._failed = True
            self._down_until = time.monotonic() + self.retry_after_seconds
            raise RedisUnavailableError from error
        if self._failed:
            self._failed = False
            self._down_until = 0.0
            log.info("redis_recovered")
            for hook in self._recovery_hooks:
                await hook()
        return result

    async def call(self, *command: str | bytes | int) -> Any:
        """One command on the pipelined connection, behind the breaker."""
        return await self.run(lambda _: self.pipe.call(*command))

    async def pipeline(self, commands: list[Command]) -> list[Any]:
        return await self.run(lambda _: self.pipe.pipeline(commands))

    def send_nowait(self, commands: list[Command]) -> bool:
        """Send without waiting for the replies (see ``PipelinedRedis.send_nowait``); False while the
        breaker is open or the connection is down (nothing is sent then)."""
        return self.available and self.pipe.send_nowait(commands)

    async def script(self, source: str, keys: list[str], args: list[str | int]) -> Any:
        return await self.run(lambda _: self.pipe.run_script(source, keys, args))

    async def ping(self) -> bool:
        try:
            await self.run(lambda client: client.ping(), probe=True)
        except RedisUnavailableError:
            return False
        return True
