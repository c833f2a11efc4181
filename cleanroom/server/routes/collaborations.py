"""Collaborations: created by a server admin with an initial policy version."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy import select

from cleanroom import audit
from cleanroom.policy.document import default_policy_yaml
from cleanroom.policy.store import propose_policy
from cleanroom.server.deps import PrincipalDep, ScopeDep, SessionDep
from cleanroom.server.schemas import CollaborationCreate, CollaborationPublic, Me
from cleanroom.storage.models import Collaboration, Role, new_id

router = APIRouter(prefix="/v1", tags=["collaborations"])


@router.get("/me")
def me(principal: PrincipalDep) -> Me:
    """Who this token belongs to."""
    return Me(
        token_id=principal.token_id,
        role=principal.role,
        member_id=principal.member_id,
        collaboration_id=principal.collaboration_id,
        party=principal.party,
    )


@router.post("/collaborations", status_code=status.HTTP_201_CREATED)
def create_collaboration(
    body: CollaborationCreate, principal: PrincipalDep, session: SessionDep
) -> CollaborationPublic:
    """Create a collaboration and propose its first policy (default: strict preset). Admin."""
    principal.require(Role.ADMIN)
    collaboration = Collaboration(id=new_id("col"), name=body.name)
    session.add(collaboration)
    session.flush()
    text = body.policy_yaml if body.policy_yaml is not None else default_policy_yaml()
    version = propose_policy(session, collaboration.id, text, principal.actor)
    audit.record(
        session,
        actor=principal.actor,
        action="collaboration.create",
        collaboration_id=collaboration.id,
        details={"name": body.name, "policy_hash": version.policy_hash},
    )
    session.commit()
    return CollaborationPublic.model_validate(collaboration)


@router.get("/collaborations")
def list_collaborations(principal: PrincipalDep, session: SessionDep) -> list[CollaborationPublic]:
    """Admins see all collaborations; a member sees only its own."""
    query = select(Collaboration).order_by(Collaboration.created_at)
    if principal.role is not Role.ADMIN:
        query = query.where(Collaboration.id == principal.collaboration_id)
    return [CollaborationPublic.model_validate(c) for c in session.scalars(query)]


@router.get("/collaborations/{collaboration_id}")
def get_collaboration(scope: ScopeDep) -> CollaborationPublic:
    """One collaboration (admins: any; members: their own)."""
    return CollaborationPublic.model_validate(scope.collaboration)
