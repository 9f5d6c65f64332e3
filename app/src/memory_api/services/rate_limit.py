"""Fixed-window rate limits per API key and per client address (each per minute and per hour).

Counted in Redis when configured, so every replica shares the limits: one Lua script checks all
four windows and counts the request only when all allow it. The same script also reads what the
request will serve from the cache (a memory, or a search result and the query's embedding), so a
cached read costs one Redis round trip. If Redis is down the limiter falls back to in-process
counters so requests are still served (each replica then limits on its own).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from memory_api.services.redis_gate import REDIS_PREFIX, RedisGate, RedisUnavailableError

WINDOW_SECONDS = {"minute": 60, "hour": 3600}

# KEYS[1..4]: the counters (key/minute, key/hour, address/minute, address/hour), ARGV[1..4] their
# limits. Then the cache read, only for an allowed request: ARGV[5] is '' (none), 'get' (KEYS[5]) or
# 'search': KEYS[5] is the tenant's generation key, the result is ARGV[6] .. generation .. ARGV[7],
# and KEYS[6] (the embedding, if given) is read if the result is missing. The result key depends on a value
# read here, so it is not in KEYS: fine on a non-cluster Redis, which is what the app connects to.
_COUNT_AND_READ = """
local counts = {}
for i = 1, 4 do counts[i] = tonumber(redis.call('GET', KEYS[i]) or '0') end
for i = 1, 4 do
  if counts[i] >= tonumber(ARGV[i]) then return {i - 1, counts[1], counts[2], counts[3], counts[4]} end
end
for i = 1, 4 do
  counts[i] = redis.call('INCR', KEYS[i])
  if counts[i] == 1 then redis.call('EXPIRE', KEYS[i], (i % 2 == 1) and 61 or 3601) end
end
local document, generation, embedding = false, false, false
if ARGV[5] == 'get' then
  document = redis.call('GET', KEYS[5])
elseif ARGV[5] == 'search' then
  generation = redis.call('GET', KEYS[5])
  if generation then document = redis.call('GET', ARGV[6] .. generation .. ARGV[7]) end
  if not document and KEYS[6] then embedding = redis.call('GET', KEYS[6]) end
end
return {-1, counts[1], counts[2], counts[3], counts[4], document, generation, embedding}
"""


@dataclass(frozen=True)
class CacheLookup:
    """A cache read to do in the same round trip as the count (cache keys without the Redis prefix).

    ``key`` is a memory document; or, with ``search_digest``, the tenant's search generation, the
    result being ``{search_prefix}{generation}:{search_digest}``, and ``embedding_key`` (if not
    empty) the query's embedding, read when the result is missing.
    """

    key: str
    search_prefix: str = ""
    search_digest: str | None = None
    embedding_key: str = ""


@dataclass(frozen=True)
class Prefetch:
    """What the counting round trip read (``None`` = not in the cache)."""

    document: bytes | None
    generation: str | None = None
    embedding: bytes | None = None


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int
    exceeded_window: str | None
    policy: str
    exceeded_scope: str | None = None

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
            "RateLimit-Policy": self.policy,
        }


@dataclass(frozen=True)
class _Counter:
    scope: str
    window: str
    limit: int

    @property
    def seconds(self) -> int:
        return WINDOW_SECONDS[self.window]


class RateLimiter:
    def __init__(
        self,
        per_minute: int,
        per_hour: int,
        gate: RedisGate | None,
        *,
        address_per_minute: int,
        address_per_hour: int,
    ) -> None:
        self.counters = (
            _Counter("key", "minute", per_minute),
            _Counter("key", "hour", per_hour),
            _Counter("address", "minute", address_per_minute),
            _Counter("address", "hour", address_per_hour),
        )
        self.gate = gate
        self._limits = [counter.limit for counter in self.counters]
        self._local: dict[tuple[str, int, int], int] = {}
        self._local_sweep_bucket = 0
        # RateLimit-Policy (draft-ietf-httpapi-ratelimit-headers): the key's quotas, then the address's
        self.policy = ", ".join(
            f"{c.limit};w={c.seconds}" + (";scope=address" if c.scope == "address" else "")
            for c in self.counters
        )

    async def check(
        self, key_id: str, address: str, lookup: CacheLookup | None = None
    ) -> tuple[RateDecision, Prefetch | None]:
        """Count the request; with ``lookup``, also read it from the cache if the request is allowed
        and Redis answered (``None`` otherwise: the caller reads the cache itself)."""
        now = time.time()
        buckets = [int(now // counter.seconds) for counter in self.counters]
        ids = (key_id, key_id, f"ip:{address}", f"ip:{address}")
        if self.gate is not None:
            keys = [f"{REDIS_PREFIX}rl:{ids[i]}:{c.window}:{buckets[i]}" for i, c in enumerate(self.counters)]
            args: list[str | int] = [*self._limits, ""]
            if lookup is not None:
                keys.append(REDIS_PREFIX + lookup.key)
                if lookup.search_digest is None:
                    args[4] = "get"
                else:
                    if lookup.embedding_key:
                        keys.append(REDIS_PREFIX + lookup.embedding_key)
                    args[4] = "search"
                    args += [REDIS_PREFIX + lookup.search_prefix, ":" + lookup.search_digest]
            try:
                reply = await self.gate.script(_COUNT_AND_READ, keys, args)
            except RedisUnavailableError:
                pass
            else:
                verdict = int(reply[0])
                decision = self._decide(now, [int(n) for n in reply[1:5]], None if verdict < 0 else verdict)
                if lookup is None or not decision.allowed:
                    return decision, None
                document, generation, embedding = reply[5:8]
                return decision, Prefetch(
                    document, generation.decode() if generation is not None else None, embedding
                )
        counts, exceeded = self._check_local(ids, buckets)
        return self._decide(now, counts, exceeded), None

    def _check_local(self, ids: tuple[str, ...], buckets: list[int]) -> tuple[list[int], int | None]:
        if buckets[0] != self._local_sweep_bucket:
            self._local_sweep_bucket = buckets[0]
            current = {(i, bucket) for i, bucket in enumerate(buckets)}
            self._local = {k: v for k, v in self._local.items() if (k[1], k[2]) in current}
        local_keys = [(ids[i], i, buckets[i]) for i in range(len(self.counters))]
        counts = [self._local.get(key, 0) for key in local_keys]
        for i, counter in enumerate(self.counters):
            if counts[i] >= counter.limit:
                return counts, i
        for i, key in enumerate(local_keys):
            counts[i] += 1
            self._local[key] = counts[i]
        return counts, None

    def _decide(self, now: float, counts: list[int], exceeded: int | None) -> RateDecision:
        # Report the counter closest to its limit (the one a client must respect first).
        tightest = (
            exceeded
            if exceeded is not None
            else min(range(len(self.counters)), key=lambda i: self.counters[i].limit - counts[i])
        )
        counter = self.counters[tightest]
        reset = math.ceil(counter.seconds - (now % counter.seconds))
        return RateDecision(
            allowed=exceeded is None,
            limit=counter.limit,
            remaining=max(0, counter.limit - counts[tightest]),
            reset_seconds=max(1, reset),
            exceeded_window=counter.window if exceeded is not None else None,
            policy=self.policy,
            exceeded_scope=counter.scope if exceeded is not None else None,
        )
