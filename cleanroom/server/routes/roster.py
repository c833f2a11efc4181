"""The key roster of ``pin_keys: on_registration`` (``cleanroom.policy.roster``).

    GET  /v1/collaborations/{id}/roster                         any member: newest roster
    POST /v1/collaborations/{id}/roster/{version}/signatures    party_admin: sign it

The server fixes a roster when the effective policy pins on registration and every
party_admin has registered keys (after a key registration or a policy approval:
:func:`fix_and_audit`). Agents verify a roster themselves before signing it and before
wrapping to it; the server only relays it and refuses keys outside it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status
from pydantic import Field
from sqlalchemy.orm import Session

from cleanroom import audit
from cleanroom.errors import Conflict, NotFound
from cleanroom.policy.roster import (
    fix_roster_if_due,
    latest_roster,
    roster_entries,
    sign_roster,
    signatures_of,
    unsigned_parties,
)
from cleanroom.server.deps import ScopeDep, SessionDep
from cleanroom.server.schemas import Model, Signature
from cleanroom.storage.models import KeyRoster, Member, Role

router = APIRouter(prefix="/v1/collaborations/{collaboration_id}/roster", tags=["keys"])


class RosterSignatureCreate(Model):
    signature: Signature


class RosterEntryPublic(Model):
    party: str
    member_id: str
    x25519_fingerprint: str
    ed25519_fingerprint: str


class RosterSignaturePublic(Model):
    member_id: str
    signature: str


class RosterPublic(Model):
    version: int
    digest: str = Field(description="protocols.roster_digest over the entries")
    policy_hash: str
    entries: list[RosterEntryPublic]
    signatures: list[RosterSignaturePublic]
    unsigned: list[str] = Field(description="rostered parties that have not signed it yet")


def fix_and_audit(session: Session, collaboration_id: str) -> KeyRoster | None:
    """Fix a new roster version when it is due and audit ``keys.roster.fixed`` (the caller
    commits)."""
    roster = fix_roster_if_due(session, collaboration_id)
    if roster is not None:
        audit.record(
            session,
            actor="server",
            action="keys.roster.fixed",
            collaboration_id=collaboration_id,
            details=_summary(roster),
        )
    return roster


def _summary(roster: KeyRoster) -> dict[str, Any]:
    return {
        "version": roster.version,
        "digest": roster.digest,
        "policy_hash": roster.policy_hash,
        "members": [e.member_id for e in roster_entries(roster)],
    }


def roster_public(session: Session, roster: KeyRoster) -> RosterPublic:
    return RosterPublic(
        version=roster.version,
        digest=roster.digest,
        policy_hash=roster.policy_hash,
        entries=[RosterEntryPublic(**vars(e)) for e in roster_entries(roster)],
        signatures=[
            RosterSignaturePublic(member_id=s.member_id, signature=s.signature)
            for s in signatures_of(session, roster)
        ],
        unsigned=unsigned_parties(session, roster),
    )


@router.get("")
def get_roster(scope: ScopeDep, session: SessionDep) -> RosterPublic:
    """The newest key roster and its signatures (404 while none is fixed)."""
    roster = latest_roster(session, scope.id)
    if roster is None:
        raise NotFound(
            "no key roster is fixed: the effective policy does not pin keys on registration, "
            "or a party_admin has not registered keys yet"
        )
    return roster_public(session, roster)


@router.post("/{version}/signatures", status_code=status.HTTP_201_CREATED)
def sign(
    version: int, body: RosterSignatureCreate, scope: ScopeDep, session: SessionDep
) -> RosterPublic:
    """Record the caller's Ed25519 signature of ``protocols.roster_message``. party_admin."""
    scope.principal.require(Role.PARTY_ADMIN)
    roster = latest_roster(session, scope.id)
    if roster is None or roster.version != version:
        raise Conflict("only the newest key roster can be signed")
    member = session.get(Member, scope.principal.member_id)
    if member is None:
        raise NotFound("member not found")
    sign_roster(session, roster, member, body.signature)
    audit.record(
        session,
        actor=scope.principal.actor,
        action="keys.roster.signed",
        collaboration_id=scope.id,
        details={"version": roster.version, "digest": roster.digest, "member_id": member.id},
    )
    session.commit()
    return roster_public(session, roster)
