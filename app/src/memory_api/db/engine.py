"""Engine with a bounded pool (pre-pinged for Postgres), pool metrics, and migrations run at start.

The embedded SQLite file gets a pool of at most two connections and no pre-ping: SQLite takes one
writer at a time, and more reader threads only fight over the GIL (measured: search throughput
+45% going from five connections to two). A local file cannot drop a connection, so a ping per
checkout would be pure cost.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from memory_api.core import metrics
from memory_api.core.config import Settings

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
MIGRATION_LOCK_ID = 7_362_201  # Postgres advisory lock so replicas migrate one at a time
SQLITE_POOL_SIZE = 2


def create_database_engine(url: URL, settings: Settings) -> Engine:
    if url.get_backend_name() == "sqlite":
        Path(url.database or "").parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 15},
            pool_size=min(settings.database_pool_size, SQLITE_POOL_SIZE),
            max_overflow=settings.database_max_overflow,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()
    else:
        engine = create_engine(
            url,
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
            pool_timeout=settings.database_pool_timeout_seconds,
            pool_pre_ping=True,
            pool_recycle=1800,
            connect_args={"connect_timeout": settings.database_connect_timeout_seconds},
        )
    metrics.DATABASE_CONNECTIONS_MAX.set(pool_size(engine) + settings.database_max_overflow)

    @event.listens_for(engine, "checkout")
    def _checkout(*_: Any) -> None:
        metrics.DATABASE_CONNECTIONS_ACTIVE.inc()

    @event.listens_for(engine, "checkin")
    def _checkin(*_: Any) -> None:
        metrics.DATABASE_CONNECTIONS_ACTIVE.dec()

    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def run_migrations(engine: Engine) -> None:
    """Upgrade the schema to head; on Postgres under an advisory lock so replicas do not race."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def ping(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def pool_size(engine: Engine) -> int:
    """Connections the pool keeps (its overflow comes on top)."""
    return engine.pool.size() if isinstance(engine.pool, QueuePool) else 1


def build_database(settings: Settings) -> tuple[Engine, sessionmaker[Session]]:
    """Engine plus migrations; shared by the app and the CLI (which needs nothing else)."""
    from memory_api.core.secrets import database_url  # noqa: PLC0415

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_database_engine(database_url(settings), settings)
    run_migrations(engine)
    return engine, session_factory(engine)
