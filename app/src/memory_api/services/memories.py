"""Memory operations. A write is acknowledged once committed in the database together with its
outbox row; the relay (``services/outbox.py``) then embeds it and writes the vector to Qdrant.

Search results are cached per tenant under a random *generation* token. A delete, and the relay
after it changed a tenant's vectors, drop the token, so the next search starts a new generation and
older entries can never be served again (a lost or evicted token has the same safe effect).

Reads are cached as the JSON documents the API serves, so a cache hit is returned as it is, with no
parsing or validation. Database work is synchronous SQLAlchemy run in the thread pool; cache hits never
leave the event loop.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial, wraps
from typing import Any, ParamSpec, TypeVar

import anyio
import numpy as np
from sqlalchemy import Engine, bindparam, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from memory_api.core import metrics
from memory_api.core.errors import ApiError, VectorStoreUnavailableError
from memory_api.db.engine import breaker
from memory_api.db.models import CacheInvalidation, Memory, MemoryTag, VectorOutbox
from memory_api.schemas import MemoryCreate, MemoryOut, SearchRequest
from memory_api.services.cache import Cache
from memory_api.services.embedder import Embedder
from memory_api.services.rate_limit import CacheLookup, Prefetch
from memory_api.services.vector_store import VectorStore, VectorStoreError

GENERATION_TTL_SECONDS = 7 * 24 * 3600
CURSOR_MAX = 2**63 - 1  # the seq column is a bigint
T = TypeVar("T")
R = TypeVar("R")
P = ParamSpec("P")
_MEMORY_CACHE_HITS = metrics.CACHE_HITS.labels("memory")
_MEMORY_CACHE_MISSES = metrics.CACHE_MISSES.labels("memory")


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# Reads by id: columns, not ORM entities, in a statement built once (building one costs more than
# running it on SQLite), over a plain connection.
SELECT_BY_IDS = select(
    Memory.id, Memory.text, Memory.metadata_json, Memory.tags_json, Memory.created_at
).where(Memory.tenant_id == bindparam("tenant_id"), Memory.id.in_(bindparam("memory_ids", expanding=True)))


def row_to_dict(row: Sequence[Any]) -> dict[str, Any]:
    memory_id, text, metadata, tags, created_at = row
    return {
        "id": memory_id,
        "text": text,
        "metadata": metadata,
        "tags": tags,
        "created_at": _aware(created_at).isoformat(),
    }


def memory_to_dict(memory: Memory) -> dict[str, Any]:
    return row_to_dict((memory.id, memory.text, memory.metadata_json, memory.tags_json, memory.created_at))


def memory_json(memory: dict[str, Any]) -> bytes:
    return MemoryOut.model_validate(memory).model_dump_json().encode()


def search_results_json(hits: list[tuple[bytes, float]]) -> bytes:
    """``{"results": [...]}`` from memory documents (``MemoryOut`` JSON), each with its score spliced in."""
    items = (b'{"score":' + repr(score).encode() + b"," + document[1:] for document, score in hits)
    return b'{"results":[' + b",".join(items) + b"]}"


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: after the memory ``memory_id`` (created at ``created_at``).

    It names only what the caller saw on the page (the last item's id and created_at), not the
    internal sequence number, which counts every tenant's writes. ``seq`` is set for ``v1``
    cursors (issued before), accepted so pagination in progress survives an upgrade.
    """

    memory_id: str | None = None
    created_at: datetime | None = None
    seq: int | None = None


def encode_cursor(memory_id: str, created_at: datetime) -> str:
    document = json.dumps({"v": 2, "id": memory_id, "after": _aware(created_at).isoformat()})
    return base64.urlsafe_b64encode(document.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> Cursor:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if raw.startswith("v1:"):
            seq = raw[3:]
            if not seq.isascii() or not seq.isdigit() or int(seq) > CURSOR_MAX:
                raise ValueError(cursor)
            return Cursor(seq=int(seq))
        document = json.loads(raw)
        if not isinstance(document, dict) or document.get("v") != 2:
            raise ValueError(cursor)
        return Cursor(
            memory_id=str(uuid.UUID(str(document["id"]))),
            created_at=_aware(datetime.fromisoformat(str(document["after"]))),
        )
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError) as error:
        raise ApiError(
            422, "invalid_cursor", "cursor is not one this API returned; start again without it"
        ) from error


def tracked(operation: str) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Count the operation in ``memory_operations_total``: client errors (4xx) count as success."""
    success = metrics.MEMORY_OPERATIONS.labels(operation, "success")
    error = metrics.MEMORY_OPERATIONS.labels(operation, "error")

    def decorate(function: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @wraps(function)
        async def run(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                result = await function(*args, **kwargs)
            except ApiError as failure:
                (error if failure.status >= 500 else success).inc()
                raise
            except Exception:
                error.inc()
                raise
            success.inc()
            return result

        return run

    return decorate


class MemoryService:
    def __init__(
        self,
        *,
        engine: Engine,
        sessions: sessionmaker[Session],
        cache: Cache,
        vector_store: VectorStore,
        embedder: Embedder,
        cache_ttl_seconds: int,
        on_write: Callable[[], None],
        thread_slots: int,
    ) -> None:
        self.engine, self.sessions = engine, sessions
        self.cache, self.vector_store, self.embedder = cache, vector_store, embedder
        self.cache_ttl_seconds = cache_ttl_seconds
        self.on_write = on_write
        # No more threads doing blocking work (database, vector store, embedder) than the pool has
        # connections: beyond that, requests wait here (cheaply) instead of churning overflow
        # connections or contending for the GIL.
        self._thread_slots = anyio.CapacityLimiter(thread_slots)
        self._breaker = breaker(engine)

    async def _in_thread(self, function: Callable[..., T], *args: Any, database: bool = True) -> T:
        """Run blocking work on a thread slot; database work fails fast while the database breaker
        is open (checked again on the thread, since waiting for a slot may outlast the check)."""
        if not database:
            return await anyio.to_thread.run_sync(partial(function, *args), limiter=self._thread_slots)
        self._breaker.check()

        def checked() -> T:
            self._breaker.check()
            return function(*args)

        return await anyio.to_thread.run_sync(checked, limiter=self._thread_slots)

    @staticmethod
    def _cache_key(tenant_id: str, memory_id: str) -> str:
        return f"mem:{tenant_id}:{memory_id}"

    @tracked("create")
    async def create(self, tenant_id: str, body: MemoryCreate) -> dict[str, Any]:
        stored = await self._in_thread(self._insert, tenant_id, body)
        self.on_write()
        await self.cache.set(
            self._cache_key(tenant_id, stored["id"]), memory_json(stored), self.cache_ttl_seconds
        )
        return stored

    def _insert(self, tenant_id: str, body: MemoryCreate) -> dict[str, Any]:
        now = datetime.now(UTC)
        memory = Memory(
            id=str(uuid.uuid4()),
            tenant_id=tenant_id,
            text=body.text,
            metadata_json=body.metadata,
            tags_json=body.tags,
            created_at=now,
        )
        memory.tag_rows = [MemoryTag(tag=tag, tenant_id=tenant_id) for tag in body.tags]
        with self.sessions.begin() as session:
            session.add(memory)
            session.add(
                VectorOutbox(
                    memory_id=memory.id, tenant_id=tenant_id, operation="upsert", created_at=now, attempts=0
                )
            )
        return memory_to_dict(memory)

    def memory_lookup(self, tenant_id: str, memory_id: str) -> CacheLookup:
        """The cache read ``get_json`` starts with, for the rate limiter to do in its round trip."""
        return CacheLookup(self._cache_key(tenant_id, memory_id))

    def _prefetched(self, key: str, prefetch: Prefetch) -> bytes | None:
        return None if prefetch.document is None or self.cache.stale(key) else prefetch.document

    @tracked("get")
    async def get_json(self, tenant_id: str, memory_id: str, prefetch: Prefetch | None = None) -> bytes:
        """The memory as the JSON document ``GET /v1/memories/{id}`` serves; ``prefetch`` is the
        cache read of ``memory_lookup`` if it was done already."""
        key = self._cache_key(tenant_id, memory_id)
        cached = await self.cache.get(key) if prefetch is None else self._prefetched(key, prefetch)
        if cached is not None:
            _MEMORY_CACHE_HITS.inc()
            return cached
        _MEMORY_CACHE_MISSES.inc()
        found = await self._in_thread(self._select_one, tenant_id, memory_id)
        if found is None:
            raise ApiError(404, "not_found", f"memory {memory_id} does not exist")
        document = memory_json(found)
        await self.cache.set(key, document, self.cache_ttl_seconds)
        return document

    def _select_one(self, tenant_id: str, memory_id: str) -> dict[str, Any] | None:
        return self._select_rows(tenant_id, [memory_id]).get(memory_id)

    @tracked("list")
    async def list_page(
        self, tenant_id: str, limit: int, cursor: str | None, tag: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        after = decode_cursor(cursor) if cursor else None
        return await self._in_thread(self._select_page, tenant_id, limit, after, tag)

    def _cursor_seq(self, session: Session, tenant_id: str, cursor: Cursor) -> int:
        """The sequence number the next page starts below."""
        if cursor.seq is not None:
            return cursor.seq
        seq = session.scalar(
            select(Memory.seq).where(Memory.tenant_id == tenant_id, Memory.id == cursor.memory_id)
        )
        if seq is not None:
            return int(seq)
        # The cursor's memory was deleted since: continue below the newest one not newer than it.
        older = session.scalar(
            select(func.max(Memory.seq)).where(
                Memory.tenant_id == tenant_id, Memory.created_at <= cursor.created_at
            )
        )
        return int(older) + 1 if older is not None else 0

    def _select_page(
        self, tenant_id: str, limit: int, after: Cursor | None, tag: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        query = select(Memory).where(Memory.tenant_id == tenant_id)
        if tag:
            query = query.join(MemoryTag, MemoryTag.memory_seq == Memory.seq).where(
                MemoryTag.tenant_id == tenant_id, MemoryTag.tag == tag
            )
        with self.sessions() as session:
            if after is not None:
                query = query.where(Memory.seq < self._cursor_seq(session, tenant_id, after))
            rows = list(session.scalars(query.order_by(Memory.seq.desc()).limit(limit + 1)))
        page = rows[:limit]
        next_cursor = encode_cursor(page[-1].id, page[-1].created_at) if len(rows) > limit else None
        return [memory_to_dict(m) for m in page], next_cursor

    @tracked("delete")
    async def delete(self, tenant_id: str, memory_id: str) -> None:
        deleted = await self._in_thread(self._delete, tenant_id, memory_id)
        await self.cache.delete(self._cache_key(tenant_id, memory_id))
        if deleted:
            await self.invalidate_searches({tenant_id})
        if not deleted:
            raise ApiError(404, "not_found", f"memory {memory_id} does not exist")
        self.on_write()

    def _delete(self, tenant_id: str, memory_id: str) -> bool:
        with self.sessions.begin() as session:
            memory = session.scalar(
                select(Memory).where(Memory.id == memory_id, Memory.tenant_id == tenant_id)
            )
            if memory is None:
                return False
            session.delete(memory)
            session.add(
                CacheInvalidation(tenant_id=tenant_id, memory_id=memory_id, created_at=datetime.now(UTC))
            )
            session.add(
                VectorOutbox(
                    memory_id=memory_id,
                    tenant_id=tenant_id,
                    operation="delete",
                    created_at=datetime.now(UTC),
                    attempts=0,
                )
            )
        return True

    def _embedding_key(self, text: str) -> str:
        digest = hashlib.sha256(text.encode()).hexdigest()
        return f"emb:{self.embedder.name}:{self.embedder.dimension}:{digest}"

    @staticmethod
    def _generation_key(tenant_id: str) -> str:
        return f"gen:{tenant_id}"

    async def _search_generation(self, tenant_id: str, prefetch: Prefetch | None) -> tuple[str, bool]:
        """The tenant's search generation, and whether it is new (then the caller stores it)."""
        key = self._generation_key(tenant_id)
        if prefetch is None:
            current = await self.cache.get(key)
            if current is not None:
                return current.decode(), False
        elif prefetch.generation is not None and not self.cache.stale(key):
            return prefetch.generation, False
        return uuid.uuid4().hex, True

    async def invalidate_searches(self, tenant_ids: set[str]) -> None:
        for tenant_id in tenant_ids:
            await self.cache.delete(self._generation_key(tenant_id))

    async def replay_invalidations(self, batch: int = 256) -> int:
        """Apply the durable invalidation log to the cache; returns how many entries were dropped.

        Rows leave the log only once the cache took the deletes, so whichever replica reaches Redis
        first after an outage clears what any replica deleted during it.
        """
        rows = await self._in_thread(self._pending_invalidations, batch)
        if not rows:
            return 0
        keys = [self._cache_key(tenant_id, memory_id) for _, tenant_id, memory_id in rows]
        keys += sorted({self._generation_key(tenant_id) for _, tenant_id, _ in rows})
        if not await self.cache.delete_now(keys):
            return 0
        await self._in_thread(self._forget_invalidations, [row_id for row_id, _, _ in rows])
        return len(rows)

    def _pending_invalidations(self, batch: int) -> list[tuple[int, str, str]]:
        query = select(CacheInvalidation.id, CacheInvalidation.tenant_id, CacheInvalidation.memory_id)
        with self.engine.connect() as connection:
            rows = connection.execute(query.order_by(CacheInvalidation.id).limit(batch))
            return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]

    def _forget_invalidations(self, row_ids: list[int]) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(CacheInvalidation).where(CacheInvalidation.id.in_(row_ids)))

    @staticmethod
    def _search_digest(request: SearchRequest) -> str:
        return hashlib.sha256(request.model_dump_json().encode()).hexdigest()

    def search_lookup(self, tenant_id: str, request: SearchRequest) -> CacheLookup:
        """The cache reads ``search_json`` starts with (generation, result, embedding), for the rate
        limiter to do in its round trip."""
        return CacheLookup(
            self._generation_key(tenant_id),
            search_prefix=f"search:{tenant_id}:",
            search_digest=self._search_digest(request),
            embedding_key=self._embedding_key(request.query) if self.embedder.blocking else "",
        )

    @tracked("search")
    async def search_json(
        self, tenant_id: str, request: SearchRequest, prefetch: Prefetch | None = None
    ) -> bytes:
        """The ranked results as the JSON document ``POST /v1/search`` serves; ``prefetch`` is the
        cache read of ``search_lookup`` if it was done already."""
        generation, new_generation = await self._search_generation(tenant_id, prefetch)
        key = f"search:{tenant_id}:{generation}:{self._search_digest(request)}"
        if new_generation:
            cached = None  # nothing was stored under a generation that did not exist
        elif prefetch is None:
            cached = await self.cache.get(key)
        else:  # the prefetched result belongs to the prefetched generation only
            cached = self._prefetched(key, prefetch) if generation == prefetch.generation else None
        if cached is not None:
            _MEMORY_CACHE_HITS.inc()
            return cached
        _MEMORY_CACHE_MISSES.inc()
        embedding = prefetch.embedding if prefetch is not None else None
        hits, new_embedding = await self._nearest(
            tenant_id, request, embedding, looked_up=prefetch is not None
        )
        documents = await self._memory_documents(tenant_id, [memory_id for memory_id, _ in hits])
        document = search_results_json([(documents[m], score) for m, score in hits if m in documents])
        # One round trip stores what this search made: the result, a new generation, the embedding.
        writes = [(key, document, self.cache_ttl_seconds)]
        if new_generation:
            writes.append((self._generation_key(tenant_id), generation.encode(), GENERATION_TTL_SECONDS))
        if new_embedding is not None:
            writes.append(new_embedding)
        await self.cache.set_many(writes)
        return document

    async def _nearest(
        self, tenant_id: str, request: SearchRequest, cached: bytes | None, *, looked_up: bool
    ) -> tuple[list[tuple[str, float]], tuple[str, bytes, int] | None]:
        """Embed the query (unless its embedding is cached: ``cached``, or read here unless
        ``looked_up``) and ask the vector store, in one trip to the thread pool if either blocks.
        Also returns the embedding's cache entry to store, if it should be.

        Only a model's embeddings are cached: the hashing embedder takes ~30 µs a query, less than a
        cache round trip."""
        embedding_key = self._embedding_key(request.query) if self.embedder.blocking else ""
        if not self.embedder.blocking:
            cached = None
        elif not looked_up:
            cached = await self.cache.get(embedding_key)
        if self.embedder.blocking:
            (metrics.CACHE_HITS if cached is not None else metrics.CACHE_MISSES).labels("embedding").inc()
        vector = np.frombuffer(cached, dtype=np.float32).tolist() if cached is not None else None
        if self.embedder.blocking or self.vector_store.blocking:
            hits, used_vector = await self._in_thread(
                self._embed_and_query, tenant_id, request, vector, database=False
            )
        else:  # embedded Qdrant and the hashing embedder: a thread hop would cost more than the work
            hits, used_vector = self._embed_and_query(tenant_id, request, vector)
        if cached is None and self.embedder.blocking:
            vector_bytes = np.asarray(used_vector, dtype=np.float32).tobytes()
            return hits, (embedding_key, vector_bytes, self.cache_ttl_seconds)
        return hits, None

    def _embed_and_query(
        self, tenant_id: str, request: SearchRequest, vector: list[float] | None
    ) -> tuple[list[tuple[str, float]], list[float]]:
        if vector is None:
            vector = self.embedder.embed([request.query])[0]
        try:
            hits = self.vector_store.search(
                tenant_id=tenant_id,
                vector=vector,
                top_k=request.top_k,
                tags=request.tags,
                metadata=request.metadata,
                score_threshold=request.score_threshold,
            )
        except VectorStoreError as error:
            raise VectorStoreUnavailableError from error
        return hits, vector

    async def _memory_documents(self, tenant_id: str, memory_ids: list[str]) -> dict[str, bytes]:
        """The memories' JSON documents: from the read cache, the database for the rest.

        Memories the database no longer has (deleted, their vector not yet removed) are left out.
        Search does not fill the cache itself, so it cannot put back a memory deleted meanwhile.
        """
        cached = await self.cache.get_many([self._cache_key(tenant_id, m) for m in memory_ids])
        documents = {
            m: document for m, document in zip(memory_ids, cached, strict=True) if document is not None
        }
        _MEMORY_CACHE_HITS.inc(len(documents))
        missing = [m for m in memory_ids if m not in documents]
        if missing:
            _MEMORY_CACHE_MISSES.inc(len(missing))
            rows = await self._in_thread(self._select_rows, tenant_id, missing)
            documents.update({memory_id: memory_json(row) for memory_id, row in rows.items()})
        return documents

    def _select_rows(self, tenant_id: str, memory_ids: list[str]) -> dict[str, dict[str, Any]]:
        parameters = {"tenant_id": tenant_id, "memory_ids": memory_ids}
        with self.engine.connect() as connection:  # a plain connection: an ORM session triples the cost
            return {row[0]: row_to_dict(row) for row in connection.execute(SELECT_BY_IDS, parameters)}
