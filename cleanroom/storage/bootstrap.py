"""Opening a data dir: directories, database schema and the server's signing key.

Crash recovery of unfinished uploads (:func:`cleanroom.uploads.sessions.recover_storage`) and
the first admin token (:func:`cleanroom.server.auth.bootstrap_admin`) are the server's steps on
top of this; storage itself knows nothing of uploads or roles.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from cleanroom.settings import Settings
from cleanroom.storage.clock import Clock, system_clock
from cleanroom.storage.db import make_engine, make_sessionmaker
from cleanroom.storage.exclusive import ServerLock, check_signing_key, lock_for_serving
from cleanroom.storage.schema import require_current
from cleanroom.storage.signing_key import load_or_create_signing_key


@dataclass(frozen=True)
class Storage:
    engine: Engine
    sessionmaker: sessionmaker[Session]
    signing_key: Ed25519PrivateKey
    clock: Clock = system_clock
    lock: ServerLock | None = None  # held by a serving process (see exclusive.py)

    def close(self) -> None:
        self.engine.dispose()
        if self.lock is not None:
            self.lock.release()


def open_storage(settings: Settings, *, clock: Clock = system_clock) -> Storage:
    """Create what is missing under the data dir and open the database.

    ``clock`` is the one clock of everything written through this storage.
    """
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    for directory in (settings.tmp_dir, settings.datasets_dir):
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    engine = make_engine(settings)
    require_current(engine)
    key = load_or_create_signing_key(settings.signing_key_path)
    maker = make_sessionmaker(engine, info={"signing_key": key, "clock": clock})
    with maker() as session:
        check_signing_key(session, key)
    return Storage(engine, maker, key, clock)


def open_exclusive(settings: Settings, *, clock: Clock = system_clock) -> Storage:
    """:func:`open_storage` for a server: refuses when another server holds the data dir
    or the database (:class:`cleanroom.errors.StartupRefused`)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    lock = lock_for_serving(settings, make_engine(settings))
    try:
        return replace(open_storage(settings, clock=clock), lock=lock)
    except BaseException:
        lock.release()
        raise
