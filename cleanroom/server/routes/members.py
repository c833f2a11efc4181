"""Members, their API tokens and their public keys."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cleanroom import audit
from cleanroom.errors import Conflict, InvalidKeyMaterial, KeyReplacementRefused, NotFound
from cleanroom.policy.document import parse_policy
from cleanroom.policy.roster import latest_roster, rostered_entry
from cleanroom.policy.signatures import verify_member_signature
from cleanroom.policy.store import KeyLike, check_pinned, effective_policy, key_accepted
from cleanroom.server.auth import issue_token
from cleanroom.server.deps import PrincipalDep, Scope, ScopeDep, SessionDep
from cleanroom.server.routes.roster import fix_and_audit
from cleanroom.server.schemas import KeysRegister, MemberCreate, MemberPublic, TokenIssued
from cleanroom.storage.clock import session_now
from cleanroom.storage.models import ApiToken, Member, Role, new_id
from protocols import (
    ProtocolError,
    decode_ed25519_public_key,
    decode_x25519_public_key,
    key_rotation_message,
    public_key_fingerprint,
)

router = APIRouter(prefix="/v1", tags=["members"])


def member_public(member: Member) -> MemberPublic:
    public = MemberPublic.model_validate(member)
    if member.x25519_public:
        key = decode_x25519_public_key(member.x25519_public)
        public.x25519_fingerprint = public_key_fingerprint(key)
    if member.ed25519_public:
        signing = decode_ed25519_public_key(member.ed25519_public)
        public.ed25519_fingerprint = public_key_fingerprint(signing)
    return public


def _fingerprints(member: Member) -> dict[str, str]:
    """The fingerprints of a member's registered keys, as audit details (``previous_...``)."""
    public = member_public(member)
    return {
        "previous_x25519_fingerprint": public.x25519_fingerprint or "",
        "previous_ed25519_fingerprint": public.ed25519_fingerprint or "",
    }


def get_member(session: SessionDep, collaboration_id: str, member_id: str) -> Member:
    member = session.get(Member, member_id)
    if member is None or member.collaboration_id != collaboration_id:
        raise NotFound("no such member in this collaboration")
    return member


def _issue_token(session: Session, scope: Scope, member: Member) -> TokenIssued:
    """Issue an API token for ``member``, audit it, commit; the secret is shown once."""
    issuer = scope.principal.actor
    token, secret = issue_token(session, Role(member.role), member.id, issued_by=issuer)
    audit.record(
        session,
        actor=issuer,
        action="token.issue",
        collaboration_id=scope.id,
        details={"token_id": token.id, "member_id": member.id, "issued_by": issuer},
    )
    session.commit()
    return TokenIssued(
        token_id=token.id, token=secret, role=token.role, member=member_public(member)
    )


@router.post("/collaborations/{collaboration_id}/members", status_code=status.HTTP_201_CREATED)
def add_member(body: MemberCreate, scope: ScopeDep, session: SessionDep) -> TokenIssued:
    """Add a party with a role and issue its first API token (shown once). Admin."""
    scope.principal.require(Role.ADMIN)
    member = Member(id=new_id("mem"), collaboration_id=scope.id, party=body.party, role=body.role)
    session.add(member)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("this party is already a member") from None
    audit.record(
        session,
        actor=scope.principal.actor,
        action="member.add",
        collaboration_id=scope.id,
        details={"member_id": member.id, "party": body.party, "role": body.role},
    )
    return _issue_token(session, scope, member)


@router.get("/collaborations/{collaboration_id}/members")
def list_members(scope: ScopeDep, session: SessionDep) -> list[MemberPublic]:
    """Members with roles, public keys and key fingerprints (to compare out of band)."""
    query = select(Member).where(Member.collaboration_id == scope.id).order_by(Member.created_at)
    return [member_public(m) for m in session.scalars(query)]


@router.post(
    "/collaborations/{collaboration_id}/members/{member_id}/tokens",
    status_code=status.HTTP_201_CREATED,
)
def issue_member_token(member_id: str, scope: ScopeDep, session: SessionDep) -> TokenIssued:
    """Issue another token for a member (rotate, then revoke the old one). Admin."""
    scope.principal.require(Role.ADMIN)
    return _issue_token(session, scope, get_member(session, scope.id, member_id))


@router.delete("/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(token_id: str, principal: PrincipalDep, session: SessionDep) -> None:
    """Revoke a token (admin only); revoked tokens are answered with ``token-revoked``."""
    principal.require(Role.ADMIN)
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound("no such token")
    collaboration_id = None
    if token.member_id is not None:
        member = session.get(Member, token.member_id)
        collaboration_id = member.collaboration_id if member else None
    if token.revoked_at is None:
        token.revoked_at = session_now(session)
        audit.record(
            session,
            actor=principal.actor,
            action="token.revoke",
            collaboration_id=collaboration_id,
            details={"token_id": token.id, "member_id": token.member_id},
        )
        session.commit()


def _pinned_by_policy(
    session: Session, collaboration_id: str, member: Member, keys: tuple[KeyLike, ...]
) -> bool:
    """Whether the effective policy pins the party of ``member`` to exactly these keys."""
    governing = effective_policy(session, collaboration_id)
    if governing is None:
        return False
    policy = parse_policy(governing.text)
    pinned = policy.pinned_keys.for_party(member.party) is not None
    return pinned and all(key_accepted(policy, member.party, key) for key in keys)


def _check_replacement(
    session: Session, scope: Scope, member: Member, body: KeysRegister, keys: tuple[KeyLike, ...]
) -> str:
    """How a replacement of registered keys is allowed (``rotation-signature`` or
    ``policy-pin``); refuses anything else, so a token alone never swaps a member's keys.
    A rostered member's keys (``pin_keys: on_registration``) change only by a policy pin."""
    roster = latest_roster(session, scope.id)
    if roster is not None and rostered_entry(roster, member.id) is not None:
        if _pinned_by_policy(session, scope.id, member, keys):
            return "policy-pin"
        raise KeyReplacementRefused(
            f"this member's keys are fixed in key roster v{roster.version} "
            "(pin_keys: on_registration); even a rotation signature cannot replace them: "
            "they change only by a policy version, approved by every party, that pins the "
            "new fingerprints"
        )
    if body.rotation_signature is not None:
        message = key_rotation_message(scope.id, member.id, body.x25519_public, body.ed25519_public)
        verify_member_signature(member, message, body.rotation_signature, "a key rotation")
        return "rotation-signature"
    if _pinned_by_policy(session, scope.id, member, keys):
        return "policy-pin"
    raise KeyReplacementRefused(
        "this member's keys are registered already; new keys need a rotation signed with "
        "the previous Ed25519 key, or an effective policy (approved by every party) that "
        "pins the new fingerprints"
    )


@router.put("/collaborations/{collaboration_id}/members/me/keys")
def register_keys(body: KeysRegister, scope: ScopeDep, session: SessionDep) -> MemberPublic:
    """Register the caller's X25519 and Ed25519 public keys.

    Registered keys are replaced only with ``rotation_signature`` (the previous Ed25519
    key's signature of the key-rotation message) or when the effective policy pins the
    new fingerprints for the caller's party.
    """
    principal = scope.principal
    if principal.member_id is None:
        raise Conflict("only members register keys; server admins have none")
    principal.require(Role.PARTY_ADMIN, Role.ANALYST)
    member = get_member(session, scope.id, principal.member_id)
    try:
        x_key = decode_x25519_public_key(body.x25519_public)
        e_key = decode_ed25519_public_key(body.ed25519_public)
    except ProtocolError as error:
        raise InvalidKeyMaterial(str(error)) from None
    governing = effective_policy(session, scope.id)
    if governing is not None:
        policy = parse_policy(governing.text)
        check_pinned(policy, member.party, x_key)
        check_pinned(policy, member.party, e_key)
    replaced = (member.x25519_public, member.ed25519_public) != (
        body.x25519_public,
        body.ed25519_public,
    )
    if member.x25519_public and member.ed25519_public and replaced:
        how = _check_replacement(session, scope, member, body, (x_key, e_key))
        audit.record(
            session,
            actor=principal.actor,
            action="member.keys.replace",
            collaboration_id=scope.id,
            details={"member_id": member.id, "allowed_by": how, **_fingerprints(member)},
        )
    member.x25519_public = body.x25519_public
    member.ed25519_public = body.ed25519_public
    audit.record(
        session,
        actor=principal.actor,
        action="member.keys.register",
        collaboration_id=scope.id,
        details={
            "member_id": member.id,
            "x25519_fingerprint": public_key_fingerprint(x_key),
            "ed25519_fingerprint": public_key_fingerprint(e_key),
        },
    )
    session.flush()
    fix_and_audit(session, scope.id)
    session.commit()
    return member_public(member)
