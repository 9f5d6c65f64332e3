"""The outbox relay: moves committed writes from the ``vector_outbox`` table into Qdrant.

Rows leave the outbox only after Qdrant accepted them, so a Qdrant outage delays search
visibility but loses nothing. On Postgres, ``FOR UPDATE SKIP LOCKED`` lets every replica run a relay
without two of them taking the same rows. ``reindex`` rebuilds the collection from the database.

Poison rows: when a batch fails and the vector store still answers a ping, the failure is the
content's, not the store's. The batch is then retried row by row; the rows that go through leave the
outbox, each refused row has its attempt counted and waits (doubling delays) before the next try,
and after ``max_attempts`` it is *parked*: kept, skipped by the relay, counted in
``vector_outbox_parked`` and ``/health/ready``, listed and retried with ``memory-api outbox``. So no
one memory can stop indexing for the others. A store that does not answer the ping is an outage:
the whole batch stays and the relay backs off, counting no attempts.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from memory_api.core import metrics
from memory_api.db.models import Memory, VectorOutbox
from memory_api.services.embedder import Embedder
from memory_api.services.vector_store import VectorPoint, VectorStore, VectorStoreError

log = structlog.get_logger("memory_api.outbox")
MAX_RETRY_DELAY_SECONDS = 300.0


@dataclass(frozen=True)
class OutboxCounts:
    pending: int  # waiting for the relay (retries included)
    parked: int  # refused max_attempts times; need an operator


def _error_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:500]


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
        max_attempts: int = 5,
    ) -> None:
        self.sessions, self.vector_store, self.embedder = sessions, vector_store, embedder
        self.poll_seconds, self.batch_size, self.max_attempts = poll_seconds, batch_size, max_attempts
        self._wake = asyncio.Event()
        self._stopping = False
        self.idle = True
        self.on_applied: Callable[[set[str]], Awaitable[None]] | None = None

    def wake(self) -> None:
        self._wake.set()

    def counts(self) -> OutboxCounts:
        with self.sessions() as session:
            parked_column = VectorOutbox.parked_at.is_not(None)
            rows = session.execute(
                select(parked_column, func.count()).select_from(VectorOutbox).group_by(parked_column)
            ).all()
        by_state = {bool(parked): int(count) for parked, count in rows}
        counts = OutboxCounts(pending=by_state.get(False, 0), parked=by_state.get(True, 0))
        metrics.OUTBOX_PENDING.set(counts.pending)
        metrics.OUTBOX_PARKED.set(counts.parked)
        return counts

    def pending(self) -> int:
        """Rows still to apply (parked rows excluded)."""
        return self.counts().pending

    def drain_once(self) -> int:
        """Apply one batch of outbox rows to Qdrant; returns how many rows were applied."""
        return len(self._drain_batch()[0])

    def _retry_delay(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self.poll_seconds * 2**attempts, MAX_RETRY_DELAY_SECONDS))

    def _drain_batch(self) -> tuple[list[VectorOutbox], int]:
        """One batch: (the rows applied, how many rows were taken, refused ones included)."""
        now = datetime.now(UTC)
        with self.sessions.begin() as session:
            rows = list(
                session.scalars(
                    select(VectorOutbox)
                    .where(
                        VectorOutbox.parked_at.is_(None),
                        or_(VectorOutbox.retry_at.is_(None), VectorOutbox.retry_at <= now),
                    )
                    .order_by(VectorOutbox.id)
                    .limit(self.batch_size)
                    .with_for_update(skip_locked=True)
                )
            )
            if not rows:
                return [], 0
            latest: dict[str, str] = {}
            for row in rows:
                latest[row.memory_id] = row.operation
            upsert_ids = [memory_id for memory_id, op in latest.items() if op == "upsert"]
            memories = (
                list(session.scalars(select(Memory).where(Memory.id.in_(upsert_ids)))) if upsert_ids else []
            )
            found = {m.id for m in memories}
            removed = [memory_id for memory_id in latest if memory_id not in found]
            refused = self._upsert(memories)
            self.vector_store.delete(removed)
            applied = [row for row in rows if row.memory_id not in refused]
            if applied:
                session.execute(delete(VectorOutbox).where(VectorOutbox.id.in_([r.id for r in applied])))
            for row in rows:
                if row.memory_id in refused:
                    self._count_refusal(row, refused[row.memory_id], now)
        return applied, len(rows)

    def _upsert(self, memories: list[Memory]) -> dict[str, str]:
        """Upsert the memories' vectors; returns the ones the store refused for their content (id -> why).

        Raises ``VectorStoreError`` when the store itself is unavailable (nothing is counted then).
        """
        if not memories:
            return {}
        try:
            self.vector_store.upsert(vector_points(self.embedder, memories))
            return {}
        except Exception as batch_error:
            self.vector_store.ping()  # unreachable: an outage, not poison -> the caller backs off
            log.warning("outbox_batch_refused", error=_error_text(batch_error)[:200], rows=len(memories))
        refused: dict[str, str] = {}
        for memory in memories:
            try:
                self.vector_store.upsert(vector_points(self.embedder, [memory]))
            except Exception as error:
                refused[memory.id] = _error_text(error)
        if refused:
            self.vector_store.ping()  # went down meanwhile: do not blame the rows
        return refused

    def _count_refusal(self, row: VectorOutbox, error: str, now: datetime) -> None:
        metrics.OUTBOX_ROW_FAILURES.inc()
        row.attempts = (row.attempts or 0) + 1
        row.last_error = error
        if row.attempts >= self.max_attempts:
            row.parked_at, row.retry_at = now, None
            metrics.OUTBOX_ROWS_PARKED.inc()
            log.error(
                "outbox_row_parked",
                outbox_id=row.id,
                memory_id=row.memory_id,
                tenant_id=row.tenant_id,
                attempts=row.attempts,
                error=error[:200],
            )
        else:
            row.retry_at = now + self._retry_delay(row.attempts)
            log.warning(
                "outbox_row_refused", outbox_id=row.id, memory_id=row.memory_id, attempts=row.attempts
            )

    def drain_all(self) -> set[str]:
        """Drain until nothing is due; returns the tenants whose vectors changed."""
        tenants: set[str] = set()
        while not self._stopping:
            applied, taken = self._drain_batch()
            if not taken:
                break
            tenants |= {row.tenant_id for row in applied}
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
                await run_in_threadpool(self.counts)  # keeps the outbox gauges current
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


def list_rows(sessions: sessionmaker[Session], *, parked_only: bool) -> list[VectorOutbox]:
    query = select(VectorOutbox).order_by(VectorOutbox.id)
    if parked_only:
        query = query.where(VectorOutbox.parked_at.is_not(None))
    with sessions() as session:
        return list(session.scalars(query))


def retry_rows(sessions: sessionmaker[Session], ids: list[int] | None) -> int:
    """Put parked rows (all, or those ids) back in the queue with a fresh attempt count."""
    statement = (
        update(VectorOutbox)
        .where(VectorOutbox.parked_at.is_not(None))
        .values(parked_at=None, retry_at=None, attempts=0)
    )
    if ids is not None:
        statement = statement.where(VectorOutbox.id.in_(ids))
    with sessions.begin() as session:
        return int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]


def discard_rows(sessions: sessionmaker[Session], ids: list[int]) -> int:
    """Drop parked rows for good (their memories stay in the database, unsearchable until reindexed)."""
    with sessions.begin() as session:
        result = session.execute(
            delete(VectorOutbox).where(VectorOutbox.parked_at.is_not(None), VectorOutbox.id.in_(ids))
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


__all__ = [
    "OutboxCounts",
    "OutboxRelay",
    "VectorStoreError",
    "discard_rows",
    "list_rows",
    "reindex",
    "retry_rows",
]
