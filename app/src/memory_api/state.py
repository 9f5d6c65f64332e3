"""Everything the app holds for its lifetime, built in ``lifespan`` and closed on shutdown."""

from __future__ import annotations

from dataclasses import dataclass, field

import structlog
from cachetools import TTLCache
from redis.asyncio import Redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from memory_api.core.config import Settings
from memory_api.core.secrets import redis_url
from memory_api.db.engine import build_database, pool_size
from memory_api.services.cache import Cache, InProcessCache, RedisCache
from memory_api.services.embedder import Embedder, create_embedder
from memory_api.services.keys import Principal
from memory_api.services.memories import MemoryService
from memory_api.services.outbox import OutboxRelay
from memory_api.services.rate_limit import RateLimiter
from memory_api.services.redis_gate import RedisGate
from memory_api.services.redis_pipe import PipelinedRedis
from memory_api.services.vector_store import VectorStore, VectorStoreError

log = structlog.get_logger("memory_api.state")
AUTH_CACHE_SIZE = 10_000


@dataclass
class AppState:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    vector_store: VectorStore
    embedder: Embedder
    cache: Cache
    limiter: RateLimiter
    relay: OutboxRelay
    memories: MemoryService
    redis_gate: RedisGate | None
    started: bool = False
    # Key lookups, both ways, reused for AUTH_CACHE_TTL_SECONDS: known keys (so a revocation takes
    # effect within the TTL) and unknown ones (so a flood of bogus keys costs no database lookups).
    # Bounded: the least recently used entries go first. Used on the event loop only.
    auth_cache: TTLCache[str, Principal] = field(init=False)
    unknown_keys: TTLCache[str, bool] = field(init=False)
    # Failed authentications per client IP over a sliding minute (per replica).
    auth_failures: TTLCache[str, int] = field(init=False)

    def __post_init__(self) -> None:
        ttl = self.settings.auth_cache_ttl_seconds
        self.auth_cache = TTLCache(maxsize=AUTH_CACHE_SIZE, ttl=ttl)
        self.unknown_keys = TTLCache(maxsize=AUTH_CACHE_SIZE, ttl=ttl)
        self.auth_failures = TTLCache(maxsize=AUTH_CACHE_SIZE, ttl=60)

    def cached_principal(self, key_hash: str) -> Principal | None:
        return self.auth_cache.get(key_hash)

    def remember_principal(self, key_hash: str, principal: Principal) -> None:
        if self.settings.auth_cache_ttl_seconds > 0:
            self.auth_cache[key_hash] = principal


def build_state(settings: Settings) -> AppState:
    engine, sessions = build_database(settings)
    embedder = create_embedder(settings.embedder, settings.embedding_dim)
    vector_store = VectorStore.from_settings(settings)
    try:
        vector_store.ensure_collection(embedder.dimension)
    except VectorStoreError as error:
        # Writes still work; the relay keeps trying and search answers 503 until then.
        log.warning("vector_store_unavailable_at_start", error=str(error)[:200])
    url = redis_url(settings)
    gate: RedisGate | None = None
    cache: Cache
    if url:
        client = Redis.from_url(
            url,
            socket_timeout=settings.redis_timeout_seconds,
            socket_connect_timeout=settings.redis_timeout_seconds,
            health_check_interval=30,
        )
        pipe = PipelinedRedis(url, settings.redis_timeout_seconds)
        gate = RedisGate(client, settings.redis_retry_after_seconds, pipe)
        cache = RedisCache(gate)
    else:
        cache = InProcessCache()
    limiter = RateLimiter(
        settings.rate_limit_per_minute,
        settings.rate_limit_per_hour,
        gate,
        address_per_minute=settings.ip_rate_limit_per_minute,
        address_per_hour=settings.ip_rate_limit_per_hour,
    )
    relay = OutboxRelay(
        sessions,
        vector_store,
        embedder,
        settings.outbox_poll_seconds,
        max_attempts=settings.outbox_max_attempts,
    )
    memories = MemoryService(
        engine=engine,
        sessions=sessions,
        cache=cache,
        vector_store=vector_store,
        embedder=embedder,
        cache_ttl_seconds=settings.cache_ttl_seconds,
        on_write=relay.wake,
        thread_slots=pool_size(engine),
    )
    relay.on_applied = memories.invalidate_searches
    return AppState(settings, engine, sessions, vector_store, embedder, cache, limiter, relay, memories, gate)
