"""Match-key exchange: one party posts the key wrapped to each member; each fetches its own.

The server stores and relays ``cr-wrap-v1:`` ciphertext only; it never sees the key.
The creator signs, with its Ed25519 key, exactly::

    b"cleanroom match-key v1|" + collaboration_id + b"|" + MatchKey.fingerprint

so a recipient can tell the key comes from a party it trusts and not from the server
(which knows every member's public key and could otherwise wrap a key of its own).
"""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy import func, select

from cleanroom import audit
from cleanroom.errors import Conflict, KeysNotRegistered, NotFound, RequestInvalid
from cleanroom.policy.roster import check_rostered_creator, check_wrap_recipient
from cleanroom.policy.signatures import verify_member_signature
from cleanroom.server.deps import ScopeDep, SessionDep
from cleanroom.server.schemas import MatchKeyPosted, MatchKeyPublic, MatchKeyWraps
from cleanroom.storage.models import Member, Role, WrappedMatchKey
from protocols import match_key_message
from protocols.keys import WRAP_PREFIX

router = APIRouter(prefix="/v1/collaborations/{collaboration_id}/match-keys", tags=["keys"])


def _check_recipients(session: SessionDep, collaboration_id: str, body: MatchKeyWraps) -> None:
    for member_id, text in body.wrapped.items():
        member = session.get(Member, member_id)
        if member is None or member.collaboration_id != collaboration_id:
            raise RequestInvalid("wrapped: a recipient is not a member of this collaboration")
        if not member.x25519_public:
            raise KeysNotRegistered("a recipient has not registered an X25519 key")
        if not text.startswith(WRAP_PREFIX):
            raise RequestInvalid(f"wrapped: a value is not {WRAP_PREFIX}...")
        check_wrap_recipient(session, collaboration_id, member)


@router.post("", status_code=status.HTTP_201_CREATED)
def post_match_key(body: MatchKeyWraps, scope: ScopeDep, session: SessionDep) -> MatchKeyPosted:
    """Store a new match-key generation, one ciphertext per recipient. party_admin."""
    scope.principal.require(Role.PARTY_ADMIN)
    if scope.principal.member_id is None:
        raise Conflict("only members post match keys")
    _check_recipients(session, scope.id, body)
    creator = session.get(Member, scope.principal.member_id)
    if creator is None:
        raise Conflict("only members post match keys")
    check_rostered_creator(session, scope.id, creator)
    message = match_key_message(scope.id, body.fingerprint)
    verify_member_signature(creator, message, body.signature, "a match key")
    last = session.scalar(
        select(func.max(WrappedMatchKey.generation)).where(
            WrappedMatchKey.collaboration_id == scope.id
        )
    )
    generation = (last or 0) + 1
    for member_id, text in body.wrapped.items():
        session.add(
            WrappedMatchKey(
                collaboration_id=scope.id,
                generation=generation,
                recipient_id=member_id,
                created_by=creator.id,
                wrapped=text,
                fingerprint=body.fingerprint,
                signature=body.signature,
                key_checks=dict(body.key_checks),
            )
        )
    recipients = sorted(body.wrapped)
    audit.record(
        session,
        actor=scope.principal.actor,
        action="match_key.wrap",
        collaboration_id=scope.id,
        details={
            "generation": generation,
            "recipients": recipients,
            "fingerprint": body.fingerprint,
            "key_checks": dict(sorted(body.key_checks.items())),
        },
    )
    session.commit()
    return MatchKeyPosted(generation=generation, recipients=recipients)


@router.get("/mine")
def my_match_key(scope: ScopeDep, session: SessionDep) -> MatchKeyPublic:
    """The caller's wrapped copy of the newest match key generation."""
    query = (
        select(WrappedMatchKey)
        .where(
            WrappedMatchKey.collaboration_id == scope.id,
            WrappedMatchKey.recipient_id == scope.principal.member_id,
        )
        .order_by(WrappedMatchKey.generation.desc())
    )
    row = session.scalars(query).first()
    if row is None:
        raise NotFound("no match key has been wrapped to you in this collaboration yet")
    return MatchKeyPublic.model_validate(row)
