"""SQLAlchemy 2.0 models of the metadata database.

Every object below ``Collaboration`` carries ``collaboration_id`` so a query can always be
scoped to the caller's collaboration. Secrets are never stored: API tokens as SHA-256
hashes, match keys only as ciphertext wrapped to a member's X25519 key.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Dialect,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy import (
    Enum as SqlEnum,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from cleanroom.storage.clock import system_clock


class Role(StrEnum):
    """Who a bearer token speaks for: the server admin or a member of one collaboration."""

    ADMIN = "admin"
    PARTY_ADMIN = "party_admin"
    ANALYST = "analyst"
    AUDITOR = "auditor"


class UploadStatus(StrEnum):
    """Where an upload session stands; only ``open`` accepts chunks."""

    OPEN = "open"
    VALIDATING = "validating"
    COMPLETE = "complete"
    FAILED = "failed"
    EXPIRED = "expired"
    ABORTED = "aborted"


def _vocabulary(enum: type[StrEnum]) -> SqlEnum:
    """A closed vocabulary stored as its plain text values (VARCHAR, no native enum)."""
    return SqlEnum(
        enum,
        native_enum=False,
        length=20,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
    )


def new_id(prefix: str) -> str:
    """A short random, URL- and path-safe row identifier such as ``col_3f9a...``."""
    return f"{prefix}_{secrets.token_hex(8)}"


class UTCDateTime(TypeDecorator[datetime]):
    """A moment in UTC, stored and always read back time-zone aware.

    SQLite keeps no time zone (it stores the UTC wall time) and PostgreSQL answers in the
    session's zone; both come back as UTC-aware ``datetime``, so the API shows ``Z``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return self.process_bind_param(value, dialect)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class ServerMeta(Base):
    """Facts about the database itself, e.g. the fingerprint of the key sealing its audit."""

    __tablename__ = "server_meta"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class Collaboration(Base):
    __tablename__ = "collaborations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=system_clock)


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("collaboration_id", "party"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    collaboration_id: Mapped[str] = mapped_column(ForeignKey("collaborations.id"), index=True)
    party: Mapped[str] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(_vocabulary(Role))
    x25519_public: Mapped[str | None] = mapped_column(String(64), default=None)
    ed25519_public: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(default=system_clock)


class ApiToken(Base):
    """A bearer token; ``member_id`` is null for server admins."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(_vocabulary(Role))
    member_id: Mapped[str | None] = mapped_column(ForeignKey("members.id"), index=True)
    #: The actor who issued it (``admin:tok_...``, or ``server`` for the bootstrap token).
    issued_by: Mapped[str] = mapped_column(String(200), default="server")
    created_at: Mapped[datetime] = mapped_column(default=system_clock)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class WrappedMatchKey(Base):
    """One member's copy of the collaboration's match key, as HPKE ciphertext text."""

    __tablename__ = "wrapped_match_keys"
    __table_args__ = (UniqueConstraint("collaboration_id", "recipient_id", "generation"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    collaboration_id: Mapped[str] = mapped_column(ForeignKey("collaborations.id"), index=True)
    generation: Mapped[int] = mapped_column(Integer)
    recipient_id: Mapped[str] = mapped_column(ForeignKey("members.id"))
    created_by: Mapped[str] = mapped_column(ForeignKey("members.id"))
    wrapped: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(40))
    signature: Mapped[str] = mapped_column(String(100))
    #: Token family -> key check value (``protocols.binding``) the creator registered.
    key_checks: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=system_clock)


class PolicyVersion(Base):
    __tablename__ = "policy_versions"
    __table_args__ = (UniqueConstraint("collaboration_id", "policy_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    collaboration_id: Mapped[str] = mapped_column(ForeignKey("collaborations.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    policy_hash: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    proposed_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=system_clock)
    effective_at: Mapped[datetime | None] = mapped_column(default=None)


class PolicyApproval(Base):
    __tablename__ = "policy_approvals"
    __table_args__ = (UniqueConstraint("policy_version_id", "member_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    collaboration_id: Mapped[str] = mapped_column(ForeignKey("collaborations.id"), index=True)
    policy_version_id: Mapped[int] = mapped_column(ForeignKey("policy_versions.id"))
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"))
    signature: Mapped[str] = mapped_column(String(100))
    public_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=system_clock)


class KeyRoster(Base):
    """A fixed set of party_admin keys (``pin_keys: on_registration``): ``entries`` are
    ``protocols.RosterEntry`` fields; ``digest`` is ``protocols.roster_digest`` over them."""

    __tablename__ = "key_rosters"
    __table_args__ = (UniqueConstraint("collaboration_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    collaboration_id: Mapped[str] = mapped_column(ForeignKey("collaborations.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    entries: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    digest: Mapped[str] = mapped_column(String(64))
    #: The effective policy under which it was fixed.
    policy_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=system_clock)


class RosterSignature(Base):
    """One rostered party_admin's Ed25519 signature of ``protocols.roster_message``."""

    __tablename__ = "roster_signatures"
    __table_args__ = (UniqueConstraint("roster_id", "member_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    collaboration_id: Mapped[str] = mapped_column(ForeignKey("collaborations.id"), index=True)
    roster_id: Mapped[int] = mapped_column(ForeignKey("key_rosters.id"), index=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"))
    signature: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=system_clock)


class UploadSession(Base):
    __tablename__ = "upload_sessions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    collaboration_id: Mapped[str] = mapped_column(ForeignKey("collaborations.id"), index=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"))
    dataset: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    received: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[UploadStatus] = mapped_column(
        _vocabulary(UploadStatus), default=UploadStatus.OPEN
    )
    failure: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=system_clock)
    updated_at: Mapped[datetime] = mapped_column(default=system_clock)


class Dataset(Base):
    __tablename__ = "datasets"
    __table_args__ = (UniqueConstraint("collaboration_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    collaboration_id: Mapped[str] = mapped_column(ForeignKey("collaborations.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))
    owner_id: Mapped[str] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(default=system_clock)


class DatasetVersion(Base):
    """One published, validated, immutable file; results point at a version, not a name."""

    __tablename__ = "dataset_versions"
    __table_args__ = (UniqueConstraint("dataset_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    collaboration_id: Mapped[str] = mapped_column(ForeignKey("collaborations.id"), index=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"))
    version: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(BigInteger)
    columns: Mapped[list[str]] = mapped_column(JSON)
    uploaded_by: Mapped[str] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(default=system_clock)


class AuditEntry(Base):
    """Append-only log row, written in the same transaction as the action it records.

    Each row is one sealed record of its collaboration's hash chain (``chain`` is the
    collaboration id, ``""`` for server-wide actions): ``record_json`` is exactly what
    was signed, and exports emit it verbatim; the other columns are for querying.
    """

    __tablename__ = "audit_entries"
    __table_args__ = (UniqueConstraint("chain", "chain_seq"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    time: Mapped[datetime] = mapped_column(default=system_clock)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60))
    collaboration_id: Mapped[str | None] = mapped_column(String(40), index=True)
    details: Mapped[dict[str, object]] = mapped_column(JSON)
    details_digest: Mapped[str] = mapped_column(String(64))
    chain: Mapped[str] = mapped_column(String(40), index=True)
    chain_seq: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(20))
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(100))
    record_json: Mapped[str] = mapped_column(Text)


class AuditHead(Base):
    """The newest entry of each audit chain; its row lock serializes appends."""

    __tablename__ = "audit_heads"

    chain: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))
