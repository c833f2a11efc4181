"""One server per data dir and per database, and one signing key per database.

A serving process holds two locks for its whole life: an exclusive ``flock`` on
``DATA_DIR/server.lock`` (the file names the holder's pid) and, on PostgreSQL, a
session-level advisory lock on a connection kept out of the pool. Both vanish with the
process, even after ``kill -9``; a second server fails to take either and refuses to
start. The signing key's fingerprint is stored in the database on first start, so a
server that brings another key (another data dir on the same database, a lost key file)
refuses to start instead of writing audit entries nobody can verify.
"""

from __future__ import annotations

import fcntl
import os
import weakref
from typing import TextIO

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.orm import Session

from cleanroom.errors import StartupRefused
from cleanroom.settings import Settings
from cleanroom.storage.db import insert_if_absent
from cleanroom.storage.models import ServerMeta
from protocols import public_key_fingerprint

#: ``pg_try_advisory_lock`` key of "the clean-room server of this database".
ADVISORY_KEY = 0x636C65616E726F6F  # "cleanroo"
FINGERPRINT = "signing_key_fingerprint"


def _close(lock_file: TextIO, engine: Engine, database: Connection | None) -> None:
    if database is not None:
        database.close()
    engine.dispose()
    lock_file.close()


class ServerLock:
    """What a serving process holds; :meth:`release` on shutdown (exit releases it too,
    and so does garbage collection of an app that was built but never served)."""

    def __init__(self, lock_file: TextIO, engine: Engine, database: Connection | None) -> None:
        # its own engine, so the locked connection never goes back to a pool
        self._release = weakref.finalize(self, _close, lock_file, engine, database)

    def release(self) -> None:
        self._release()


def _lock_data_dir(settings: Settings) -> TextIO:
    path = settings.data_dir / "server.lock"
    handle = path.open("a+", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "?"
        handle.close()
        raise StartupRefused(
            f"another cleanroom server (pid {holder}) is serving {settings.data_dir}; stop it first"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


def _lock_database(engine: Engine) -> Connection | None:
    if engine.dialect.name != "postgresql":
        return None  # SQLite lives in the data dir: its lock covers the database
    connection = engine.connect()
    taken = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY})
    if not taken.scalar():
        connection.close()
        raise StartupRefused(
            f"another cleanroom server is serving the database {engine.url.database}; stop it first"
        )
    connection.commit()
    return connection


def lock_for_serving(settings: Settings, engine: Engine) -> ServerLock:
    """Take the data dir's and the database's lock, or raise :class:`StartupRefused`."""
    lock_file = _lock_data_dir(settings)
    try:
        return ServerLock(lock_file, engine, _lock_database(engine))
    except BaseException:
        lock_file.close()
        engine.dispose()
        raise


def check_signing_key(session: Session, key: Ed25519PrivateKey) -> None:
    """Record the key's fingerprint on first use; refuse a different key afterwards."""
    mine = public_key_fingerprint(key.public_key())
    insert_if_absent(session, ServerMeta, ["name"], {"name": FINGERPRINT, "value": mine})
    session.commit()
    recorded = session.scalar(select(ServerMeta.value).where(ServerMeta.name == FINGERPRINT))
    if recorded != mine:
        raise StartupRefused(
            f"the database's audit chain is signed by key {recorded}, but this server's key "
            f"is {mine}; start it with the original key file (keys/server-ed25519.pem)"
        )
