"""Bearer API tokens and roles.

A token is ``crt_`` + base64url(32 random bytes); only its SHA-256 hex is stored. A token
belongs either to a server admin (no collaboration) or to one member of one collaboration,
whose role is ``party_admin``, ``analyst`` or ``auditor``.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from cleanroom import audit
from cleanroom.errors import Forbidden, TokenRevoked, Unauthenticated, UnknownCollaboration
from cleanroom.storage.bootstrap import Storage
from cleanroom.storage.models import ApiToken, Member, Role, new_id
from protocols import b64url_encode

TOKEN_PREFIX = "crt_"


MEMBER_ROLES = (Role.PARTY_ADMIN, Role.ANALYST, Role.AUDITOR)


def new_token() -> str:
    raw = b64url_encode(secrets.token_bytes(32))
    return TOKEN_PREFIX + raw


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    session: Session, role: Role, member_id: str | None, issued_by: str
) -> tuple[ApiToken, str]:
    """Create a token row; returns the row and the only copy of the secret."""
    secret = new_token()
    row = ApiToken(
        id=new_id("tok"),
        token_hash=hash_token(secret),
        role=role,
        member_id=member_id,
        issued_by=issued_by,
    )
    session.add(row)
    return row, secret


@dataclass(frozen=True)
class Principal:
    """Who is calling: a token id, a role, and (for members) their collaboration."""

    token_id: str
    role: Role
    member_id: str | None
    collaboration_id: str | None
    party: str | None
    issued_by: str = "server"

    @property
    def actor(self) -> str:
        """How the audit log names the caller; a member's credential that a server admin
        issued says so, since whoever minted it can act with it."""
        if self.party is None:
            return f"admin:{self.token_id}"
        member = f"{self.party}:{self.member_id}"
        if self.issued_by.startswith("admin:"):
            return f"{member} (token {self.token_id}, issued by {self.issued_by})"
        return member

    def require(self, *roles: Role) -> None:
        if self.role not in roles:
            allowed = ", ".join(sorted(roles))
            raise Forbidden(f"role {self.role} may not do this (needs one of: {allowed})")

    def requester_for(self, receiver: str | None) -> str:
        """The party a query's result is for: a party_admin asks for itself; an analyst
        may name any party (a receiver the policy must then allow)."""
        self.require(Role.ANALYST, Role.PARTY_ADMIN)
        party = self.party or ""
        if receiver is None or receiver == party:
            return party
        if self.role is not Role.ANALYST:
            raise Forbidden("a party_admin may only request results for its own party")
        return receiver

    def require_collaboration(self, collaboration_id: str) -> None:
        """Admins see every collaboration; members only their own (404 otherwise)."""
        if self.role is not Role.ADMIN and self.collaboration_id != collaboration_id:
            raise UnknownCollaboration("no such collaboration for this token")


def authenticate(session: Session, secret: str | None) -> Principal:
    """The principal of a bearer token secret (``None`` when the header is absent)."""
    if not secret:
        raise Unauthenticated("missing bearer token (Authorization: Bearer crt_...)")
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    if row is None:
        raise Unauthenticated("unknown API token")
    return principal_of(session, row)


def authenticate_token_id(session: Session, token_id: str) -> Principal:
    """The principal of a token known by its id (the web console's session holds the id,
    never the secret); a revoked token is refused exactly as with the bearer secret."""
    row = session.get(ApiToken, token_id)
    if row is None:
        raise Unauthenticated("unknown API token")
    return principal_of(session, row)


def principal_of(session: Session, row: ApiToken) -> Principal:
    """Who a token row belongs to, if it is not revoked."""
    if row.revoked_at is not None:
        raise TokenRevoked(f"API token {row.id} was revoked")
    if row.member_id is None:
        return Principal(row.id, Role(row.role), None, None, None, row.issued_by)
    member = session.get(Member, row.member_id)
    if member is None:
        raise Unauthenticated("API token has no member")
    return Principal(
        row.id, Role(row.role), member.id, member.collaboration_id, member.party, row.issued_by
    )


def has_admin(session: Session) -> bool:
    query = select(ApiToken.id).where(ApiToken.role == Role.ADMIN, ApiToken.revoked_at.is_(None))
    return session.scalar(query.limit(1)) is not None


def create_admin_token(session: Session) -> tuple[str, str]:
    """Issue an admin token; returns (token id, secret). The secret is never stored."""
    row, secret = issue_token(session, Role.ADMIN, None, issued_by="server")
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
