"""Opening a data dir: directories, database schema, signing key, recovery, first admin."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from cleanroom import audit
from cleanroom.auth import Role, issue_token
from cleanroom.db import create_schema, make_engine, make_sessionmaker
from cleanroom.models import ApiToken
from cleanroom.settings import Settings
from cleanroom.signing import load_or_create_signing_key
from cleanroom.upload_store import recover_storage


@dataclass(frozen=True)
class Storage:
    engine: Engine
    sessionmaker: sessionmaker[Session]
    signing_key: Ed25519PrivateKey


def open_storage(settings: Settings, *, recover: bool = False) -> Storage:
    """Create what is missing under the data dir; with ``recover``, clean up after a crash."""
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    for directory in (settings.tmp_dir, settings.datasets_dir):
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    engine = make_engine(settings)
    create_schema(engine)
    key = load_or_create_signing_key(settings.signing_key_path)
    maker = make_sessionmaker(engine, info={"signing_key": key})
    if recover:
        with maker() as session:
            recover_storage(session, settings)
    return Storage(engine, maker, key)


def has_admin(session: Session) -> bool:
    query = select(ApiToken.id).where(ApiToken.role == Role.ADMIN, ApiToken.revoked_at.is_(None))
    return session.scalar(query.limit(1)) is not None


def create_admin_token(session: Session) -> tuple[str, str]:
    """Issue an admin token; returns (token id, secret). The secret is never stored."""
    row, secret = issue_token(session, Role.ADMIN, None)
    audit.record(
        session,
        actor="server",
        action="token.issue",
        collaboration_id=None,
        details={"token_id": row.id, "role": "admin"},
    )
    session.commit()
    return row.id, secret


def bootstrap_admin(storage: Storage) -> tuple[str, str] | None:
    """Create the first admin token if no usable one exists, else ``None``."""
    with storage.sessionmaker() as session:
        if has_admin(session):
            return None
        return create_admin_token(session)
