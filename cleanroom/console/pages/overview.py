"""The overview of a collaboration: members and key fingerprints, datasets and their
versions, and the policy in plain words with its history, diffs and approvals.

    GET /ui/c/{id}    every member; datasets for the roles the API shows them to (not
                      auditors); the policy for everyone
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from cleanroom.audit.export import policy_history
from cleanroom.audit.report import PolicyVersion
from cleanroom.console.deps import ConsoleScopeDep, VisitorDep
from cleanroom.console.render import page
from cleanroom.console.views import nav_for
from cleanroom.errors import Forbidden
from cleanroom.server.deps import Scope, SessionDep
from cleanroom.server.routes.datasets import list_datasets, version_public
from cleanroom.server.routes.members import list_members
from cleanroom.server.routes.policies import list_policies
from cleanroom.server.schemas import DatasetVersionPublic
from cleanroom.storage.models import Dataset, DatasetVersion

router = APIRouter(prefix="/ui/c/{collaboration_id}", include_in_schema=False)


@dataclass(frozen=True)
class DatasetView:
    name: str
    kind: str
    owner: str
    versions: list[DatasetVersionPublic]


@dataclass(frozen=True)
class PolicyView:
    history: PolicyVersion
    missing: list[str]


def _datasets(session: Session, scope: Scope, parties: dict[str, str]) -> list[DatasetView]:
    views = []
    for public in list_datasets(scope, session):  # the API's role check
        dataset = session.scalars(
            select(Dataset).where(Dataset.collaboration_id == scope.id, Dataset.name == public.name)
        ).one()
        query = select(DatasetVersion).where(DatasetVersion.dataset_id == dataset.id)
        versions = session.scalars(query.order_by(DatasetVersion.version.desc()))
        views.append(
            DatasetView(
                public.name,
                public.kind,
                parties.get(public.owner_id, public.owner_id),
                [version_public(public.name, public.kind, v) for v in versions],
            )
        )
    return views


def _policies(session: Session, scope: Scope) -> list[PolicyView]:
    missing = {p.policy_hash: p.missing_approvals for p in list_policies(scope, session)}
    history = policy_history(session, scope.id)
    return [PolicyView(v, missing.get(v.policy_hash, [])) for v in reversed(history)]


@router.get("")
def overview(
    request: Request, scope: ConsoleScopeDep, visitor: VisitorDep, session: SessionDep
) -> Response:
    members = list_members(scope, session)
    parties = {m.id: m.party for m in members}
    try:
        datasets: list[DatasetView] | None = _datasets(session, scope, parties)
    except Forbidden:  # auditors do not see datasets, as on the API
        datasets = None
    versions = _policies(session, scope)
    current = next((v for v in versions if v.history.effective), None)
    context: dict[str, Any] = {
        "visitor": visitor,
        "nav": nav_for(visitor.role, scope.id),
        "collaboration": scope.collaboration,
        "members": members,
        "datasets": datasets,
        "current": current,
        "versions": versions,
    }
    return page(request, "overview.html", **context)
