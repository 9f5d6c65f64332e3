"""Read cache for memories and embeddings: Redis when configured, otherwise in-process.

With Redis configured but down, reads bypass the cache (an in-process copy could go stale across
replicas). Invalidations that fail while Redis is down are remembered and replayed when it returns,
so a deleted memory is not served from a stale entry afterwards.
"""

from __future__ import annotations

import contextlib
import time
from collections import OrderedDict
from typing import Protocol

from memory_api.services.redis_gate import REDIS_PREFIX, RedisGate, RedisUnavailableError
from memory_api.services.redis_pipe import Command


class Cache(Protocol):
    async def get(self, key: str) -> bytes | None: ...
    async def get_many(self, keys: list[str]) -> list[bytes | None]: ...
    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None: ...
    async def set_many(self, items: list[tuple[str, bytes, int]]) -> None:
        """Set each ``(key, value, ttl_seconds)``, in one round trip."""

    async def delete(self, key: str) -> None: ...
    async def delete_now(self, keys: list[str]) -> bool:
        """Delete the keys; False if the cache could not be reached (nothing is remembered then)."""

    def stale(self, key: str) -> bool:
        """True while an invalidation of ``key`` waits for the cache: a value read for it is not used."""


class InProcessCache:
    """A bounded LRU with per-entry expiry, for the single-process embedded mode."""

    def __init__(self, max_entries: int = 20_000) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()

    async def get(self, key: str) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires_at, value = entry
        if expires_at < time.monotonic():
            self._entries.pop(key, None)
            return None
        self._entries.move_to_end(key)
        return value

    async def get_many(self, keys: list[str]) -> list[bytes | None]:
        return [await self.get(key) for key in keys]

    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        self._entries[key] = (time.monotonic() + ttl_seconds, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    async def set_many(self, items: list[tuple[str, bytes, int]]) -> None:
        for key, value, ttl_seconds in items:
            await self.set(key, value, ttl_seconds)

    async def delete(self, key: str) -> None:
        self._entries.pop(key, None)

    async def delete_now(self, keys: list[str]) -> bool:
        for key in keys:
            self._entries.pop(key, None)
        return True

    def stale(self, key: str) -> bool:
        return False


class RedisCache:
    def __init__(self, gate: RedisGate, prefix: str = REDIS_PREFIX) -> None:
        self.gate, self.prefix = gate, prefix
        self._pending_invalidations: set[str] = set()
        gate.on_recovery(self._replay_invalidations)

    async def get(self, key: str) -> bytes | None:
        if self._pending_invalidations and key in self._pending_invalidations:
            return None
        try:
            value = await self.gate.call("GET", self.prefix + key)
        except RedisUnavailableError:
            return None
        if value is None:
            return None
        return _as_bytes(value)

    async def get_many(self, keys: list[str]) -> list[bytes | None]:
        """One MGET; keys with an invalidation still pending read as missing."""
        try:
            values = await self.gate.call("MGET", *(self.prefix + key for key in keys))
        except RedisUnavailableError:
            return [None] * len(keys)
        return [
            None if value is None or key in self._pending_invalidations else _as_bytes(value)
            for key, value in zip(keys, values, strict=True)
        ]

    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        await self.set_many([(key, value, ttl_seconds)])

    async def set_many(self, items: list[tuple[str, bytes, int]]) -> None:
        """Filling the cache waits for no reply (a lost write costs a later miss, nothing else);
        only while the connection is down does it go the breaker's way, to notice the outage."""
        commands: list[Command] = [("SET", self.prefix + key, value, "EX", ttl) for key, value, ttl in items]
        if self.gate.send_nowait(commands):
            return
        with contextlib.suppress(RedisUnavailableError):
            await self.gate.pipeline(commands)

    async def delete(self, key: str) -> None:
        try:
            await self.gate.run(lambda client: client.delete(self.prefix + key))
        except RedisUnavailableError:
            self._pending_invalidations.add(key)

    async def delete_now(self, keys: list[str]) -> bool:
        if not keys:
            return True
        try:
            await self.gate.run(lambda client: client.delete(*(self.prefix + k for k in keys)))
        except RedisUnavailableError:
            return False
        self._pending_invalidations -= set(keys)
        return True

    def stale(self, key: str) -> bool:
        return bool(self._pending_invalidations) and key in self._pending_invalidations

    async def _replay_invalidations(self) -> None:
        pending, self._pending_invalidations = self._pending_invalidations, set()
        if pending:
            try:
                await self.gate.run(lambda client: client.delete(*(self.prefix + k for k in pending)))
            except RedisUnavailableError:
                self._pending_invalidations |= pending


def _as_bytes(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode()
