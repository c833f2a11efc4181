"""Policy versions of a collaboration and the parties' signed approvals."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from cleanroom import audit
from cleanroom.errors import NotFound
from cleanroom.policy.store import (
    approvals_of,
    approve,
    effective_policy,
    get_version,
    missing_parties,
    propose_policy,
)
from cleanroom.server.deps import ScopeDep, SessionDep
from cleanroom.server.routes.roster import fix_and_audit
from cleanroom.server.schemas import ApprovalCreate, ApprovalPublic, PolicyCreate, PolicyPublic
from cleanroom.storage.models import Member, PolicyVersion, Role
from protocols import approval_message

router = APIRouter(prefix="/v1/collaborations/{collaboration_id}/policies", tags=["policies"])


def policy_public(session: Session, version: PolicyVersion) -> PolicyPublic:
    members = select(Member).where(Member.collaboration_id == version.collaboration_id)
    parties = {m.id: m.party for m in session.scalars(members)}
    approvals = [
        ApprovalPublic(
            member_id=a.member_id,
            party=parties.get(a.member_id, "?"),
            signature=a.signature,
            public_key=a.public_key,
            created_at=a.created_at,
        )
        for a in approvals_of(session, version)
    ]
    missing = missing_parties(session, version)
    message = approval_message(version.collaboration_id, version.policy_hash).decode()
    return PolicyPublic(
        collaboration_id=version.collaboration_id,
        seq=version.seq,
        policy_hash=version.policy_hash,
        text=version.text,
        proposed_by=version.proposed_by,
        created_at=version.created_at,
        effective=not missing,
        approvals=approvals,
        missing_approvals=missing,
        signed_message=message,
    )


@router.get("")
def list_policies(scope: ScopeDep, session: SessionDep) -> list[PolicyPublic]:
    """Every policy version, oldest first, with approvals and missing parties."""
    query = select(PolicyVersion).where(PolicyVersion.collaboration_id == scope.id)
    return [policy_public(session, v) for v in session.scalars(query.order_by(PolicyVersion.seq))]


@router.post("", status_code=status.HTTP_201_CREATED)
def propose(body: PolicyCreate, scope: ScopeDep, session: SessionDep) -> PolicyPublic:
    """Propose a policy version (effective once every party_admin approved). Admin, party_admin."""
    scope.principal.require(Role.ADMIN, Role.PARTY_ADMIN)
    version = propose_policy(session, scope.id, body.text, scope.principal.actor)
    audit.record(
        session,
        actor=scope.principal.actor,
        action="policy.propose",
        collaboration_id=scope.id,
        details={"policy_hash": version.policy_hash, "seq": version.seq},
    )
    session.commit()
    return policy_public(session, version)


@router.get("/current")
def current_policy(scope: ScopeDep, session: SessionDep) -> PolicyPublic:
    """The effective policy: newest version approved by every party_admin."""
    version = effective_policy(session, scope.id)
    if version is None:
        raise NotFound("no policy version is approved by every party yet")
    return policy_public(session, version)


@router.get("/latest")
def latest_policy(scope: ScopeDep, session: SessionDep) -> PolicyPublic:
    """The newest proposed version, approved or not (what parties are asked to sign)."""
    query = select(PolicyVersion).where(PolicyVersion.collaboration_id == scope.id)
    version = session.scalars(query.order_by(PolicyVersion.seq.desc())).first()
    if version is None:
        raise NotFound("this collaboration has no policy version")
    return policy_public(session, version)


@router.get("/{policy_hash}")
def get_policy(policy_hash: str, scope: ScopeDep, session: SessionDep) -> PolicyPublic:
    """One policy version by its hash."""
    return policy_public(session, get_version(session, scope.id, policy_hash))


@router.post("/{policy_hash}/approvals", status_code=status.HTTP_201_CREATED)
def approve_policy(
    policy_hash: str, body: ApprovalCreate, scope: ScopeDep, session: SessionDep
) -> PolicyPublic:
    """Record the caller's Ed25519 signature over ``signed_message``. party_admin."""
    scope.principal.require(Role.PARTY_ADMIN)
    version = get_version(session, scope.id, policy_hash)
    member = session.get(Member, scope.principal.member_id)
    if member is None:
        raise NotFound("member not found")
    was_effective = version.effective_at is not None
    approve(session, version, member, body.signature)
    audit.record(
        session,
        actor=scope.principal.actor,
        action="policy.approve",
        collaboration_id=scope.id,
        details={"policy_hash": version.policy_hash, "member_id": member.id},
    )
    if version.effective_at is not None and not was_effective:
        audit.record(
            session,
            actor="server",
            action="policy.effective",
            collaboration_id=scope.id,
            details={"policy_hash": version.policy_hash, "seq": version.seq},
        )
    fix_and_audit(session, scope.id)
    session.commit()
    return policy_public(session, version)
