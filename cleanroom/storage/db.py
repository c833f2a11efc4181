"""The metadata database: engine, sessions and schema creation.

SQLite (the default, ``DATA_DIR/cleanroom.db``) runs in WAL mode, ``synchronous=FULL``,
with foreign keys on;
PostgreSQL is chosen by a ``postgresql+psycopg://`` URL. The schema is made and
versioned by Alembic migrations (:mod:`cleanroom.storage.schema`).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from cleanroom.settings import Settings
from cleanroom.storage import (
    blinding_tables,  # noqa: F401  # registers the protocol v2 relay table
    query_tables,  # noqa: F401  # registers the query-layer tables on Base
)
from cleanroom.storage.clock import session_now
from cleanroom.storage.models import Base


def normalize_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and route them to psycopg 3."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


#: Seconds a session waits for a pooled connection (admission keeps it rare; then a 503).
POOL_TIMEOUT = 10


def pool_options(settings: Settings) -> dict[str, Any]:
    """One connection per admitted request (see :mod:`cleanroom.server.admission`)."""
    return {
        "pool_size": settings.max_concurrent_requests,
        "max_overflow": 4,
        "pool_timeout": POOL_TIMEOUT,
        "pool_pre_ping": True,
    }


def make_engine(settings: Settings) -> Engine:
    url = normalize_url(settings.effective_database_url)
    if url.startswith("sqlite"):
        connect_args = {"check_same_thread": False, "timeout": 30}
        engine = create_engine(url, connect_args=connect_args, **pool_options(settings))
        _configure_sqlite(engine, wal=settings.sqlite_wal, synchronous=settings.sqlite_synchronous)
    else:
        engine = create_engine(url, **pool_options(settings))
    return engine


def _configure_sqlite(engine: Engine, *, wal: bool, synchronous: str) -> None:
    """WAL, foreign keys, a busy timeout, and ``synchronous=FULL`` by default: every
    commit is fsynced before it returns, so a charged budget, a stored result or a sealed
    audit entry the client was told about survives a power loss (every write that matters
    carries an audit entry, so the setting is per database, not per transaction)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _: Any) -> None:
        cursor = dbapi_connection.cursor()
        if wal:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={'FULL' if synchronous == 'full' else 'NORMAL'}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()


def make_sessionmaker(engine: Engine, info: dict[str, Any] | None = None) -> sessionmaker[Session]:
    """Sessions carry ``info``: ``signing_key`` for sealing audit entries, ``clock``."""
    maker = sessionmaker(engine, expire_on_commit=False, info=info or {})
    event.listen(maker, "before_flush", _stamp_new_rows)
    return maker


def _stamp_new_rows(session: Session, *_: Any) -> None:
    """New rows get ``created_at``/``updated_at`` from the storage's clock, not the host's."""
    now = session_now(session)
    for row in session.new:
        for column in ("created_at", "updated_at"):
            if hasattr(row, column) and getattr(row, column) is None:
                setattr(row, column, now)


def insert_if_absent(
    session: Session, model: type[Base], keys: list[str], values: dict[str, Any]
) -> None:
    """``INSERT ... ON CONFLICT (keys) DO NOTHING``, the first statement of a row lock.

    On SQLite it takes the database's write lock; on PostgreSQL a concurrent insert of the
    same keys waits for the first to commit. Follow it with ``SELECT ... FOR UPDATE``.
    """
    dialect = session.get_bind().dialect.name
    if dialect not in ("postgresql", "sqlite"):
        raise ValueError(f"the {dialect} database is not supported (SQLite or PostgreSQL)")
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(model).values(**values).on_conflict_do_nothing(index_elements=keys))
