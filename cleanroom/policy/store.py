"""Policy versions and approvals: a version takes effect once every party_admin signed it.

Signed message (Ed25519, by each party_admin's registered key)::

    b"cleanroom policy approval v1|" + collaboration_id + b"|" + policy_hash_hex

The effective policy of a collaboration is the newest version (highest ``seq``) whose
approvals cover every *current* party_admin member; adding a party_admin therefore
suspends the effect of older approvals until the new party signs too.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import policies
from cleanroom.errors import KeyNotAccepted, NotFound
from cleanroom.policy.document import parse_policy, policy_hash
from cleanroom.policy.signatures import verify_member_signature
from cleanroom.storage.clock import session_now
from cleanroom.storage.models import Member, PolicyApproval, PolicyVersion
from protocols import (
    DatasetKind,
    approval_message,
    decode_ed25519_public_key,
    public_key_fingerprint,
)


def propose_policy(session: Session, collaboration_id: str, text: str, actor: str) -> PolicyVersion:
    """Add a policy version (or return the existing one with the same hash)."""
    digest = policy_hash(text)
    existing = session.scalar(
        select(PolicyVersion).where(
            PolicyVersion.collaboration_id == collaboration_id,
            PolicyVersion.policy_hash == digest,
        )
    )
    if existing is not None:
        return existing
    seqs = select(func.max(PolicyVersion.seq))
    last = session.scalar(seqs.where(PolicyVersion.collaboration_id == collaboration_id))
    version = PolicyVersion(
        collaboration_id=collaboration_id,
        seq=(last or 0) + 1,
        policy_hash=digest,
        text=text,
        proposed_by=actor,
    )
    session.add(version)
    session.flush()
    return version


def get_version(session: Session, collaboration_id: str, digest: str) -> PolicyVersion:
    version = session.scalar(
        select(PolicyVersion).where(
            PolicyVersion.collaboration_id == collaboration_id,
            PolicyVersion.policy_hash == digest,
        )
    )
    if version is None:
        raise NotFound(f"no policy version {digest!r} in this collaboration")
    return version


def party_admins(session: Session, collaboration_id: str) -> list[Member]:
    query = select(Member).where(
        Member.collaboration_id == collaboration_id, Member.role == "party_admin"
    )
    return list(session.scalars(query.order_by(Member.party)))


def approvals_of(session: Session, version: PolicyVersion) -> list[PolicyApproval]:
    query = select(PolicyApproval).where(PolicyApproval.policy_version_id == version.id)
    return list(session.scalars(query.order_by(PolicyApproval.created_at)))


def missing_parties(session: Session, version: PolicyVersion) -> list[str]:
    """Parties (party_admin members) that have not signed ``version``; empty = effective."""
    signed = {a.member_id for a in approvals_of(session, version)}
    admins = party_admins(session, version.collaboration_id)
    if not admins:
        return ["(no party_admin member yet)"]
    return [m.party for m in admins if m.id not in signed]


KeyLike = X25519PublicKey | Ed25519PublicKey


def key_accepted(policy: policies.Policy, party: str, key: KeyLike) -> bool:
    """Whether the policy accepts ``key`` for ``party`` (pinned fingerprints)."""
    return policies.key_accepted(policy, party, public_key_fingerprint(key))


def check_pinned(policy: policies.Policy, party: str, key: KeyLike) -> None:
    """Refuse a key the policy does not accept for ``party`` (pinned fingerprints)."""
    fingerprint = public_key_fingerprint(key)
    if not key_accepted(policy, party, key):
        raise KeyNotAccepted(
            f"the policy pins other keys for {party!r}; key {fingerprint} is not accepted"
        )


def verify_approval(member: Member, version: PolicyVersion, signature_text: str) -> None:
    message = approval_message(version.collaboration_id, version.policy_hash)
    verify_member_signature(member, message, signature_text, "a policy approval")
    key = decode_ed25519_public_key(member.ed25519_public or "")
    check_pinned(parse_policy(version.text), member.party, key)


def approve(
    session: Session, version: PolicyVersion, member: Member, signature_text: str
) -> PolicyApproval:
    """Verify and record one party's approval; marks the version effective when complete."""
    verify_approval(member, version, signature_text)
    existing = session.scalar(
        select(PolicyApproval).where(
            PolicyApproval.policy_version_id == version.id, PolicyApproval.member_id == member.id
        )
    )
    if existing is not None:
        return existing
    approval = PolicyApproval(
        collaboration_id=version.collaboration_id,
        policy_version_id=version.id,
        member_id=member.id,
        signature=signature_text,
        public_key=member.ed25519_public or "",
    )
    session.add(approval)
    session.flush()
    if version.effective_at is None and not missing_parties(session, version):
        version.effective_at = session_now(session)
    return approval


def effective_policy(session: Session, collaboration_id: str) -> PolicyVersion | None:
    """The newest version every current party_admin has approved, or ``None``."""
    query = select(PolicyVersion).where(PolicyVersion.collaboration_id == collaboration_id)
    for version in session.scalars(query.order_by(PolicyVersion.seq.desc())):
        if not missing_parties(session, version):
            return version
    return None


def allowed_dimensions(
    session: Session, collaboration_id: str, kind: DatasetKind
) -> frozenset[str]:
    """Extra string columns the effective policy allows in datasets of ``kind``."""
    version = effective_policy(session, collaboration_id)
    if version is None or kind is DatasetKind.SPEND:
        return frozenset()
    dimensions = parse_policy(version.text).dimensions
    return frozenset(
        dimensions.exposures if kind is DatasetKind.EXPOSURES else dimensions.purchases
    )


def matching_protocol(session: Session, collaboration_id: str) -> str:
    """``v1`` or ``v2``: how the effective policy has the parties' identifiers meet
    (``v1`` before any policy is in effect)."""
    version = effective_policy(session, collaboration_id)
    return "v1" if version is None else str(parse_policy(version.text).protocol)
