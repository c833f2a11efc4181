"""Opening a data dir: directories, database schema and the server's signing key.

Crash recovery of unfinished uploads (:func:`cleanroom.uploads.sessions.recover_storage`) and
the first admin token (:func:`cleanroom.server.auth.bootstrap_admin`) are the server's steps on
top of this; storage itself knows nothing of uploads or roles.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from cleanroom.settings import Settings
from cleanroom.storage.clock import Clock, system_clock
from cleanroom.storage.db import create_schema, make_engine, make_sessionmaker
from cleanroom.storage.signing_key import load_or_create_signing_key


@dataclass(frozen=True)
class Storage:
    engine: Engine
    sessionmaker: sessionmaker[Session]
    signing_key: Ed25519PrivateKey
    clock: Clock = system_clock


def open_storage(settings: Settings, *, clock: Clock = system_clock) -> Storage:
    """Create what is missing under the data dir and open the database.

    ``clock`` is the one clock of everything written through this storage.
    """
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    for directory in (settings.tmp_dir, settings.datasets_dir):
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    engine = make_engine(settings)
    create_schema(engine)
    key = load_or_create_signing_key(settings.signing_key_path)
    maker = make_sessionmaker(engine, info={"signing_key": key, "clock": clock})
    return Storage(engine, maker, key, clock)
