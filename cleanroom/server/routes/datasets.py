"""Published datasets of a collaboration: names, kinds and immutable versions."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.orm import Session

from cleanroom.errors import NotFound
from cleanroom.server.deps import ScopeDep, SessionDep
from cleanroom.server.schemas import DatasetPublic, DatasetVersionPublic
from cleanroom.storage.models import Dataset, DatasetVersion, Role

#: Auditors read policies, approvals, the audit log and the budget, not the datasets.
DATA_ROLES = (Role.ADMIN, Role.PARTY_ADMIN, Role.ANALYST)
router = APIRouter(prefix="/v1/collaborations/{collaboration_id}/datasets", tags=["datasets"])


def version_public(name: str, kind: str, version: DatasetVersion) -> DatasetVersionPublic:
    """A published dataset version as the API shows it."""
    return DatasetVersionPublic(
        dataset=name,
        kind=kind,
        version=version.version,
        size=version.size,
        sha256=version.sha256,
        rows=version.rows,
        columns=version.columns,
        uploaded_by=version.uploaded_by,
        created_at=version.created_at,
    )


def _dataset_public(session: Session, dataset: Dataset) -> DatasetPublic:
    query = select(DatasetVersion).where(DatasetVersion.dataset_id == dataset.id)
    versions = list(session.scalars(query.order_by(DatasetVersion.version)))
    return DatasetPublic(
        name=dataset.name,
        kind=dataset.kind,
        owner_id=dataset.owner_id,
        latest=version_public(dataset.name, dataset.kind, versions[-1]),
        versions=[v.version for v in versions],
    )


@router.get("")
def list_datasets(scope: ScopeDep, session: SessionDep) -> list[DatasetPublic]:
    """Published datasets with their latest version (failed uploads never appear)."""
    scope.principal.require(*DATA_ROLES)
    query = select(Dataset).where(Dataset.collaboration_id == scope.id).order_by(Dataset.name)
    return [_dataset_public(session, d) for d in session.scalars(query)]


def _dataset(session: Session, collaboration_id: str, name: str) -> Dataset:
    dataset = session.scalar(
        select(Dataset).where(Dataset.collaboration_id == collaboration_id, Dataset.name == name)
    )
    if dataset is None:
        raise NotFound(f"no dataset {name!r} in this collaboration")
    return dataset


@router.get("/{name}")
def get_dataset(name: str, scope: ScopeDep, session: SessionDep) -> DatasetPublic:
    """One dataset and the numbers of all its versions."""
    scope.principal.require(*DATA_ROLES)
    return _dataset_public(session, _dataset(session, scope.id, name))


@router.get("/{name}/versions")
def list_versions(name: str, scope: ScopeDep, session: SessionDep) -> list[DatasetVersionPublic]:
    """Every version of one dataset, oldest first: rows, size and SHA-256 of each."""
    scope.principal.require(*DATA_ROLES)
    dataset = _dataset(session, scope.id, name)
    query = select(DatasetVersion).where(DatasetVersion.dataset_id == dataset.id)
    versions = session.scalars(query.order_by(DatasetVersion.version))
    return [version_public(dataset.name, dataset.kind, v) for v in versions]
