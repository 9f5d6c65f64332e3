"""The outbox relay: moves committed writes from the ``vector_outbox`` table into Qdrant.

Rows leave the outbox only after Qdrant accepted the batch, so a Qdrant outage delays search
visibility but loses nothing. On Postgres, ``FOR UPDATE SKIP LOCKED`` lets every replica run a relay
without two of them taking the same rows. ``reindex`` rebuilds the collection from the database.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import UTC

import structlog
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from memory_api.db.models import Memory, VectorOutbox
from memory_api.services.embedder import Embedder
from memory_api.services.vector_store import VectorPoint, VectorStore, VectorStoreError

log = structlog.get_logger("memory_api.outbox")


def vector_points(embedder: Embedder, memories: list[Memory]) -> list[VectorPoint]:
    vectors = embedder.embed([m.text for m in memories])
    return [
        VectorPoint(
            memory_id=m.id,
            vector=vector,
            payload={
                "tenant_id": m.tenant_id,
                "tags": m.tags_json,
                "metadata": m.metadata_json,
                "created_at": (
                    m.created_at if m.created_at.tzinfo else m.created_at.replace(tzinfo=UTC)
                ).isoformat(),
            },
        )
        for m, vector in zip(memories, vectors, strict=True)
    ]


class OutboxRelay:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        vector_store: VectorStore,
        embedder: Embedder,
        poll_seconds: float,
        batch_size: int = 128,
    ) -> None:
        self.sessions, self.vector_store, self.embedder = sessions, vector_store, embedder
        self.poll_seconds, self.batch_size = poll_seconds, batch_size
        self._wake = asyncio.Event()
        self._stopping = False
        self.idle = True
        self.on_applied: Callable[[set[str]], Awaitable[None]] | None = None

    def wake(self) -> None:
        self._wake.set()

    def pending(self) -> int:
        with self.sessions() as session:
            return int(session.scalar(select(func.count()).select_from(VectorOutbox)) or 0)

    def drain_once(self) -> int:
        """Apply one batch of outbox rows to Qdrant; returns how many rows were applied."""
        return len(self._drain_batch())

    def _drain_batch(self) -> list[VectorOutbox]:
        with self.sessions.begin() as session:
            rows = list(
                session.scalars(
                    select(VectorOutbox)
                    .order_by(VectorOutbox.id)
                    .limit(self.batch_size)
                    .with_for_update(skip_locked=True)
                )
            )
            if not rows:
                return []
            latest: dict[str, str] = {}
            for row in rows:
                latest[row.memory_id] = row.operation
            upsert_ids = [memory_id for memory_id, op in latest.items() if op == "upsert"]
            memories = (
                list(session.scalars(select(Memory).where(Memory.id.in_(upsert_ids)))) if upsert_ids else []
            )
            found = {m.id for m in memories}
            removed = [memory_id for memory_id in latest if memory_id not in found]
            self.vector_store.upsert(vector_points(self.embedder, memories))
            self.vector_store.delete(removed)
            session.execute(delete(VectorOutbox).where(VectorOutbox.id.in_([r.id for r in rows])))
        return rows

    def drain_all(self) -> set[str]:
        """Drain until empty; returns the tenants whose vectors changed."""
        tenants: set[str] = set()
        while not self._stopping and (rows := self._drain_batch()):
            tenants |= {row.tenant_id for row in rows}
        return tenants

    async def run(self) -> None:
        """Drain on every write and every poll interval; back off while Qdrant or the DB is down."""
        backoff = self.poll_seconds
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=backoff)
            self._wake.clear()
            if self._stopping:
                break
            self.idle = False
            try:
                if not self.vector_store.collection_ready:
                    await run_in_threadpool(self.vector_store.ensure_collection, self.embedder.dimension)
                tenants = await run_in_threadpool(self.drain_all)
                if tenants and self.on_applied is not None:
                    await self.on_applied(tenants)
                backoff = self.poll_seconds
            except VectorStoreError as error:
                log.warning("outbox_vector_store_unavailable", error=str(error)[:200])
                backoff = min(backoff * 2, 30.0)
            except Exception as error:  # database down: keep the relay alive, retry later
                log.warning("outbox_relay_failed", error=type(error).__name__)
                backoff = min(backoff * 2, 30.0)
            finally:
                self.idle = True

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()


def reindex(sessions: sessionmaker[Session], vector_store: VectorStore, embedder: Embedder) -> int:
    """Recreate the collection and fill it from every memory in the database."""
    vector_store.recreate_collection(embedder.dimension)
    indexed, after = 0, 0
    while True:
        with sessions() as session:
            batch = list(
                session.scalars(select(Memory).where(Memory.seq > after).order_by(Memory.seq).limit(256))
            )
        if not batch:
            return indexed
        vector_store.upsert(vector_points(embedder, batch))
        indexed += len(batch)
        after = batch[-1].seq


__all__ = ["OutboxRelay", "VectorStoreError", "reindex"]
