"""One collaboration built directly in a real SQLite data dir, for unit tests of the server.

No HTTP: members, signed policy approvals and published datasets are written through the
same store and publish functions the routes call (``cleanroom.policy.store``,
``cleanroom.uploads``), with a settable clock (:class:`tests.integration.clock.Clock`).
The data itself (policy text, exposures, purchases, spend) is the query world of the
integration tests (:mod:`tests.integration.query_world`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from cleanroom.policy.store import allowed_dimensions, approve, propose_policy
from cleanroom.settings import Settings
from cleanroom.storage.bootstrap import Storage, open_storage
from cleanroom.storage.models import (
    AuditEntry,
    Collaboration,
    DatasetVersion,
    Member,
    Role,
    UploadSession,
    UploadStatus,
    new_id,
)
from cleanroom.uploads.publish import publish
from cleanroom.uploads.sessions import create_temp_file, temp_path
from cleanroom.uploads.validation import Expected, validate_dataset
from protocols import DatasetKind, approval_message, encode_public_key, file_sha256
from protocols.binding import key_checks
from protocols.encoding import b64url_encode
from tests.integration.clock import Clock
from tests.integration.query_world import KEY

#: The integration tests' server time: the last hour of November 2026.
NOW = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
ROLES = {"brand": Role.PARTY_ADMIN, "retailer": Role.PARTY_ADMIN, "ana": Role.ANALYST}


@dataclass
class Room:
    storage: Storage
    settings: Settings
    clock: Clock
    id: str
    members: dict[str, Member] = field(default_factory=dict)
    keys: dict[str, Ed25519PrivateKey] = field(default_factory=dict)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.storage.sessionmaker() as session:
            yield session

    def actor(self, party: str) -> str:
        return f"{party}:{self.members[party].id}"

    def add_member(self, party: str, role: Role, *, keys: bool = True) -> Member:
        """A member; with ``keys`` its Ed25519 key is registered (kept in :attr:`keys`)."""
        key = Ed25519PrivateKey.generate()
        member = Member(
            id=new_id("mem"),
            collaboration_id=self.id,
            party=party,
            role=role,
            ed25519_public=encode_public_key(key.public_key()) if keys else None,
        )
        with self.session() as session:
            session.add(member)
            session.commit()
        self.members[party], self.keys[party] = member, key
        return member

    def sign(self, party: str, policy_hash: str) -> str:
        """``party``'s approval signature of a policy version, as the agent sends it."""
        message = approval_message(self.id, policy_hash)
        return b64url_encode(self.keys[party].sign(message))

    def adopt(self, text: str, parties: tuple[str, ...] | None = None) -> str:
        """Propose ``text`` and have ``parties`` (default: every party_admin) sign it."""
        signers = parties if parties is not None else self.party_admins()
        with self.session() as session:
            version = propose_policy(session, self.id, text, "admin:tok_test")
            for party in signers:
                approve(
                    session, version, self.members[party], self.sign(party, version.policy_hash)
                )
            session.commit()
            return version.policy_hash

    def party_admins(self) -> tuple[str, ...]:
        return tuple(p for p, m in self.members.items() if m.role is Role.PARTY_ADMIN)

    def upload(
        self, session: Session, owner: str, name: str, kind: str, table: pa.Table
    ) -> UploadSession:
        """An upload session whose temp file holds ``table`` as Parquet (all received)."""
        upload_id = new_id("upl")
        path = create_temp_file(self.settings, upload_id)
        pq.write_table(table, path)
        data = path.read_bytes()
        upload = UploadSession(
            id=upload_id,
            collaboration_id=self.id,
            member_id=self.members[owner].id,
            dataset=name,
            kind=kind,
            size=len(data),
            sha256=file_sha256(path),
            received=len(data),
            status=UploadStatus.VALIDATING,
        )
        session.add(upload)
        session.flush()
        return upload

    def publish(self, owner: str, name: str, kind: str, table: pa.Table) -> DatasetVersion:
        """Validate and publish ``table`` as the next version of ``name`` (what complete does)."""
        with self.session() as session:
            upload = self.upload(session, owner, name, kind, table)
            checked = validate_dataset(
                temp_path(self.settings, upload.id),
                DatasetKind(kind),
                self.expected(session, DatasetKind(kind)),
            )
            return publish(session, self.settings, upload, checked, self.actor(owner))

    def expected(self, session: Session, kind: DatasetKind) -> Expected:
        """What the route expects of a file: the query world's match key is the one
        registered here (``query_world.KEY``), as if its creator had posted it."""
        checks = key_checks(KEY, self.id)
        return Expected(self.id, checks, allowed_dimensions(session, self.id, kind))

    def audit_actions(self) -> list[str]:
        with self.session() as session:
            query = select(AuditEntry.action).where(AuditEntry.collaboration_id == self.id)
            return list(session.scalars(query.order_by(AuditEntry.seq)))

    def audit_entries(self, action: str) -> list[AuditEntry]:
        with self.session() as session:
            query = select(AuditEntry).where(
                AuditEntry.collaboration_id == self.id, AuditEntry.action == action
            )
            return list(session.scalars(query.order_by(AuditEntry.seq)))


def make_room(data_dir: Path, roles: dict[str, Role] = ROLES, *, at: datetime = NOW) -> Room:
    """A fresh data dir holding one collaboration with a member per ``roles`` entry."""
    settings = Settings(data_dir=data_dir)
    clock = Clock(at)
    storage = open_storage(settings, clock=clock)
    room = Room(storage, settings, clock, new_id("col"))
    with room.session() as session:
        session.add(Collaboration(id=room.id, name="unit room"))
        session.commit()
    for party, role in roles.items():
        room.add_member(party, role)
    return room
