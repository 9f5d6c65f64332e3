"""Per-key fixed-window rate limits (per minute and per hour).

Counted in Redis when configured, so every replica shares the limit; a Lua script checks both
windows and counts the request only when both allow it. If Redis is down the limiter falls back to
in-process counters so requests are still served (each replica then limits on its own).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from memory_api.services.redis_gate import RedisGate, RedisUnavailableError

WINDOWS: tuple[tuple[str, int], ...] = (("minute", 60), ("hour", 3600))

_CHECK_AND_COUNT = """
local minute = tonumber(redis.call('GET', KEYS[1]) or '0')
local hour = tonumber(redis.call('GET', KEYS[2]) or '0')
if minute >= tonumber(ARGV[1]) then return {0, minute, hour} end
if hour >= tonumber(ARGV[2]) then return {1, minute, hour} end
minute = redis.call('INCR', KEYS[1])
if minute == 1 then redis.call('EXPIRE', KEYS[1], 61) end
hour = redis.call('INCR', KEYS[2])
if hour == 1 then redis.call('EXPIRE', KEYS[2], 3601) end
return {-1, minute, hour}
"""


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int
    exceeded_window: str | None
    policy: str

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
            "RateLimit-Policy": self.policy,
        }


class RateLimiter:
    def __init__(self, per_minute: int, per_hour: int, gate: RedisGate | None) -> None:
        self.limits = {"minute": per_minute, "hour": per_hour}
        self.gate = gate
        self._script = gate.client.register_script(_CHECK_AND_COUNT) if gate else None
        self._local: dict[tuple[str, str, int], int] = {}
        self._local_sweep_bucket = 0
        self.policy = f"{per_minute};w=60, {per_hour};w=3600"

    async def check(self, key_id: str) -> RateDecision:
        now = time.time()
        buckets = {name: int(now // seconds) for name, seconds in WINDOWS}
        counts: dict[str, int] | None = None
        exceeded: str | None = None
        if self.gate is not None and self._script is not None:
            script = self._script
            keys = [f"memory-api:rl:{key_id}:{name}:{buckets[name]}" for name, _ in WINDOWS]
            try:
                verdict, minute, hour = await self.gate.run(
                    lambda _: script(keys=keys, args=[self.limits["minute"], self.limits["hour"]])
                )
                counts = {"minute": int(minute), "hour": int(hour)}
                exceeded = {0: "minute", 1: "hour"}.get(int(verdict))
            except RedisUnavailableError:
                counts = None
        if counts is None:
            counts, exceeded = self._check_local(key_id, buckets)
        return self._decide(now, counts, exceeded)

    def _check_local(self, key_id: str, buckets: dict[str, int]) -> tuple[dict[str, int], str | None]:
        if buckets["minute"] != self._local_sweep_bucket:
            self._local_sweep_bucket = buckets["minute"]
            current = set(buckets.items())
            self._local = {k: v for k, v in self._local.items() if (k[1], k[2]) in current}
        counts = {name: self._local.get((key_id, name, buckets[name]), 0) for name, _ in WINDOWS}
        for name, _ in WINDOWS:
            if counts[name] >= self.limits[name]:
                return counts, name
        for name, _ in WINDOWS:
            counts[name] += 1
            self._local[(key_id, name, buckets[name])] = counts[name]
        return counts, None

    def _decide(self, now: float, counts: dict[str, int], exceeded: str | None) -> RateDecision:
        seconds = dict(WINDOWS)
        # Report the window closest to its limit (the one a client must respect first).
        tightest = exceeded or min(WINDOWS, key=lambda w: self.limits[w[0]] - counts[w[0]])[0]
        reset = math.ceil(seconds[tightest] - (now % seconds[tightest]))
        return RateDecision(
            allowed=exceeded is None,
            limit=self.limits[tightest],
            remaining=max(0, self.limits[tightest] - counts[tightest]),
            reset_seconds=max(1, reset),
            exceeded_window=exceeded,
            policy=self.policy,
        )
