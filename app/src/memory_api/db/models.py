"""Tables: API keys (hashed), memories, their tags, and the vector outbox.

``seq`` is an internal, monotonically increasing key used for cursor pagination; the public id is
a random UUID so ids reveal nothing about other tenants.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# SQLite only auto-increments INTEGER PRIMARY KEY; Postgres gets a bigint identity.
SeqType = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    pass


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(128), default="")
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Memory(Base):
    __tablename__ = "memories"
    __table_args__ = (
        Index("ix_memories_tenant_seq", "tenant_id", "seq"),
        Index("ix_memories_tenant_id_id", "tenant_id", "id", unique=True),
    )

    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    metadata_json: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    tags_json: Mapped[list[str]] = mapped_column("tags", JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    tag_rows: Mapped[list[MemoryTag]] = relationship(cascade="all, delete-orphan", passive_deletes=True)


class MemoryTag(Base):
    __tablename__ = "memory_tags"
    __table_args__ = (Index("ix_memory_tags_tenant_tag_seq", "tenant_id", "tag", "memory_seq"),)

    memory_seq: Mapped[int] = mapped_column(
        SeqType, ForeignKey("memories.seq", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))


class VectorOutbox(Base):
    """Pending vector writes: committed with the memory, drained into Qdrant by the relay."""

    __tablename__ = "vector_outbox"

    id: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    memory_id: Mapped[str] = mapped_column(String(36), index=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    operation: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # A row the vector store refused: why, when to try again, and when it was parked for good.
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    retry_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    parked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class CacheInvalidation(Base):
    """Cache entries to drop, committed with the delete: any replica replays them into Redis once it
    answers, so a delete made while Redis was unreachable cannot leave a stale entry behind (not even
    when the replica that deleted restarts before Redis returns)."""

    __tablename__ = "cache_invalidations"

    id: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    memory_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
