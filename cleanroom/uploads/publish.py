"""Publishing a validated upload: one rename plus one DB commit, or nothing at all.

Identical content is one version: when the upload's SHA-256 equals the dataset's newest
version's, :func:`keep_current` publishes nothing, records ``dataset.unchanged`` and
returns that version, so queries keep their cache key and a repeat stays free.
:func:`publish_unless_unchanged` checks again under the dataset's row lock, so two
uploads of the same bytes completing at once publish one version, not two.

Order: lock the dataset row (created if absent, so racing publishes of one dataset take
turns), insert the version row, fsync and ``os.replace`` the temp file into
``DATA_DIR/datasets/<collaboration>/<dataset>/v<N>.parquet``, then commit. If the commit
fails the renamed file is removed; if the process dies between rename and commit, the
unreferenced file is deleted by :func:`cleanroom.uploads.sessions.recover_storage` on start.

The published file is the uploaded bytes (the version's ``sha256``); the caller then
schedules its preparation for queries (:class:`cleanroom.uploads.preparer.Preparer`),
which writes a sibling file in the background.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cleanroom import audit
from cleanroom.errors import Conflict, InternalError
from cleanroom.settings import Settings
from cleanroom.storage.clock import session_now
from cleanroom.storage.dataset_files import fsync_path
from cleanroom.storage.db import insert_if_absent
from cleanroom.storage.models import Dataset, DatasetVersion, UploadSession, UploadStatus
from cleanroom.uploads.sessions import discard_temp_file, temp_path
from cleanroom.uploads.validation import ValidatedFile


def dataset_for_upload(
    session: Session, upload: UploadSession, *, for_update: bool = False
) -> Dataset | None:
    """The existing dataset of this name, checked against owner and kind."""
    query = select(Dataset).where(
        Dataset.collaboration_id == upload.collaboration_id, Dataset.name == upload.dataset
    )
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    dataset = session.scalar(query)
    if dataset is None:
        return None
    if dataset.owner_id != upload.member_id:
        raise Conflict(f"dataset {upload.dataset!r} belongs to another party")
    if dataset.kind != upload.kind:
        raise Conflict(f"dataset {upload.dataset!r} holds {dataset.kind}, not {upload.kind}")
    return dataset


def audit_upload(
    session: Session, actor: str, action: str, upload: UploadSession, **details: object
) -> None:
    """The audit entry of an upload's outcome: dataset, kind, upload id and ``details``."""
    audit.record(
        session,
        actor=actor,
        action=action,
        collaboration_id=upload.collaboration_id,
        details={
            "dataset": upload.dataset,
            "kind": upload.kind,
            **details,
            "upload_id": upload.id,
        },
    )


def current_version(session: Session, upload: UploadSession) -> DatasetVersion | None:
    """The dataset's newest version, if any."""
    dataset = dataset_for_upload(session, upload)
    if dataset is None:
        return None
    return session.scalar(
        select(DatasetVersion)
        .where(DatasetVersion.dataset_id == dataset.id)
        .order_by(DatasetVersion.version.desc())
        .limit(1)
    )


def keep_current(
    session: Session,
    settings: Settings,
    upload: UploadSession,
    current: DatasetVersion,
    actor: str,
) -> DatasetVersion:
    """Close an upload whose bytes equal ``current``'s: nothing new is published."""
    upload.status = UploadStatus.COMPLETE
    audit_upload(
        session, actor, "dataset.unchanged", upload, version=current.version, sha256=upload.sha256
    )
    session.commit()
    discard_temp_file(settings, upload.id)
    return current


def published_version(session: Session, upload: UploadSession) -> DatasetVersion | None:
    """The newest version of the upload's dataset holding exactly its bytes."""
    query = (
        select(DatasetVersion)
        .join(Dataset, Dataset.id == DatasetVersion.dataset_id)
        .where(
            Dataset.collaboration_id == upload.collaboration_id,
            Dataset.name == upload.dataset,
            DatasetVersion.sha256 == upload.sha256,
        )
        .order_by(DatasetVersion.version.desc())
    )
    return session.scalars(query.limit(1)).first()


def lock_dataset(session: Session, upload: UploadSession) -> Dataset:
    """The upload's dataset, created if absent, locked until commit.

    Two uploads of one dataset completing at once then publish one after the other, as
    versions N and N+1, instead of colliding on the name or the version number.
    """
    row = {
        "collaboration_id": upload.collaboration_id,
        "name": upload.dataset,
        "kind": upload.kind,
        "owner_id": upload.member_id,
        "created_at": session_now(session),
    }
    insert_if_absent(session, Dataset, ["collaboration_id", "name"], row)
    dataset = dataset_for_upload(session, upload, for_update=True)
    if dataset is None:
        raise InternalError("a dataset row vanished while it was locked (a bug)")
    return dataset


def publish(
    session: Session,
    settings: Settings,
    upload: UploadSession,
    checked: ValidatedFile,
    actor: str,
) -> DatasetVersion:
    dataset = lock_dataset(session, upload)
    last = session.scalar(
        select(func.max(DatasetVersion.version)).where(DatasetVersion.dataset_id == dataset.id)
    )
    number = (last or 0) + 1
    relative = Path("datasets") / upload.collaboration_id / upload.dataset / f"v{number}.parquet"
    version = DatasetVersion(
        collaboration_id=upload.collaboration_id,
        dataset_id=dataset.id,
        version=number,
        path=str(relative),
        size=upload.size,
        sha256=upload.sha256,
        rows=checked.rows,
        columns=checked.columns,
        uploaded_by=upload.member_id,
    )
    session.add(version)
    upload.status = UploadStatus.COMPLETE
    audit_upload(
        session,
        actor,
        "dataset.publish",
        upload,
        version=number,
        rows=checked.rows,
        sha256=upload.sha256,
    )
    session.flush()
    final = settings.data_dir / relative
    final.parent.mkdir(parents=True, exist_ok=True)
    source = temp_path(settings, upload.id)
    fsync_path(source)
    os.replace(source, final)
    fsync_path(final.parent)
    try:
        session.commit()
    except BaseException:
        final.unlink(missing_ok=True)
        raise
    return version


def publish_unless_unchanged(
    session: Session,
    settings: Settings,
    upload: UploadSession,
    checked: ValidatedFile,
    actor: str,
) -> tuple[DatasetVersion, bool]:
    """Publish ``upload`` unless, once the dataset is locked, its newest version holds
    these very bytes (an identical upload completed meanwhile); the version the dataset
    then has, and whether it is new."""
    lock_dataset(session, upload)
    current = current_version(session, upload)
    if current is not None and current.sha256 == upload.sha256:
        return keep_current(session, settings, upload, current, actor), False
    return publish(session, settings, upload, checked, actor), True
