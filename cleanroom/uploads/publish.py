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

Before the rename, :func:`prepare_for_queries` does once per version what every query
would otherwise repeat: it adds each token's user number as a BIGINT column
``_user_<family>`` (the token's last 60 bits, the number the engine computes,
:meth:`cleanroom.engine.dialect.Dialect.user_id`) and sorts the rows by user and time.
The version's ``sha256`` still names the uploaded bytes (it is what an identical upload
is compared with); the file on disk is the prepared one.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cleanroom import audit
from cleanroom.errors import Conflict, InternalError
from cleanroom.settings import Settings
from cleanroom.storage.clock import session_now
from cleanroom.storage.db import insert_if_absent
from cleanroom.storage.models import Dataset, DatasetVersion, UploadSession, UploadStatus
from cleanroom.uploads.sessions import discard_temp_file, temp_path
from cleanroom.uploads.validation import ValidatedFile
from protocols import token_version
from protocols.tokens import V1_VERSION

USER_PREFIX = "_user_"
"""The user column of ``token_<family>`` is ``_user_<family>`` (as
:data:`cleanroom.engine.bound.USER_PREFIX`; no uploaded column can start with ``_``)."""
_USER_MASK = (1 << 60) - 1
_TIMES = ("exposure_time", "purchase_time")


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


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def user_numbers(tokens: pa.FixedSizeBinaryArray) -> pa.Array:
    """Each 32-byte token's last 8 bytes as a big-endian integer, top 4 bits cleared (its
    last 60 bits), NULL for a NULL token: the engine's user number."""
    if len(tokens) == 0:
        return pa.array([], pa.int64())
    raw = np.frombuffer(tokens.buffers()[1], dtype=np.uint8)
    raw = raw[tokens.offset * 32 : (tokens.offset + len(tokens)) * 32].reshape(-1, 32)
    tail = np.ascontiguousarray(raw[:, 24:]).view(">u8").ravel()
    numbers = (tail & np.uint64(_USER_MASK)).astype(np.int64)
    return pa.array(numbers, pa.int64(), mask=tokens.is_null().to_numpy(zero_copy_only=False))


def first_rows(table: pa.Table, keys: list[str], valid: pa.Array) -> pa.Array:
    """True on one row (the first) of each group of ``keys`` among the ``valid`` rows."""
    index = pa.array(np.arange(table.num_rows, dtype=np.int64))
    rows = table.select(keys).append_column("_row", index).filter(valid)
    firsts = rows.group_by(keys, use_threads=False).aggregate([("_row", "min")])
    flags = np.zeros(table.num_rows, dtype=bool)
    flags[firsts.column("_row_min").to_numpy()] = True
    return pa.array(flags)


def _with_firsts(table: pa.Table, family: str) -> pa.Table:
    """Exposures' first-row flags of ``family``'s users: ``_first_<family>`` on one row of
    each user, ``_first_<family>_campaign`` on one row of each user and campaign among
    the rows a query keeps (token and time present), so counting flags counts users."""
    user = USER_PREFIX + family
    has_user = pc.is_valid(table.column(user))
    kept = pc.and_(has_user, pc.is_valid(table.column("exposure_time")))
    table = table.append_column(f"_first_{family}", first_rows(table, [user], has_user))
    campaign = first_rows(table, [user, "campaign_id"], kept)
    return table.append_column(f"_first_{family}_campaign", campaign)


def prepare_for_queries(path: Path) -> bool:
    """Add ``_user_<family>`` beside each v1 token column, sort the rows by the first
    one, then time, and (exposures) add the first-row flags; True if the file was
    rewritten. Datasets without tokens (spend) and v2 datasets (their tokens are
    replaced when blinding completes) are left as they are: the engine computes the user
    from the token where the column is absent. A file that has the columns already is
    left as it is, so calling this twice is harmless."""
    schema = pq.read_schema(path)
    tokens = [f.name for f in schema if f.name.startswith("token_")]
    if not tokens or any(token_version(schema.field(name)) != V1_VERSION for name in tokens):
        return False
    if any(name.startswith(USER_PREFIX) for name in schema.names):
        return False
    table = pq.read_table(path)
    families = [name.removeprefix("token_") for name in tokens]
    for name, family in zip(tokens, families, strict=True):
        numbers = [user_numbers(chunk) for chunk in table.column(name).chunks]
        table = table.append_column(USER_PREFIX + family, pa.chunked_array(numbers, pa.int64()))
    times = [t for t in _TIMES if t in table.schema.names]
    table = table.sort_by(
        [(USER_PREFIX + families[0], "ascending")] + [(t, "ascending") for t in times]
    )
    if "exposure_time" in times and "campaign_id" in table.schema.names:
        for family in families:
            table = _with_firsts(table, family)
    temp = path.with_name(path.name + ".prepared")
    pq.write_table(table, temp, compression="zstd")
    os.replace(temp, path)
    return True


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
    prepare_for_queries(source)
    _fsync(source)
    os.replace(source, final)
    _fsync(final.parent)
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
    then has, and whether it is new. The file is prepared for queries before the lock is
    taken, so the lock is held for the rename and the commit only."""
    prepare_for_queries(temp_path(settings, upload.id))
    lock_dataset(session, upload)
    current = current_version(session, upload)
    if current is not None and current.sha256 == upload.sha256:
        return keep_current(session, settings, upload, current, actor), False
    return publish(session, settings, upload, checked, actor), True
