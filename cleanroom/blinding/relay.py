"""Relay batches: the other party's once-blinded points, shuffled, without attributes.

For the newest version of every dataset another member owns whose token columns are
once-blinded (``v2/ristretto255-once``), one batch per family: the non-null points in a
uniformly random order (:mod:`cleanroom.blinding.shuffle`: bounded memory, seeded from
the OS CSPRNG), with the row of each position kept in ``order.bin``, which never leaves
the server. The blinder gets the
points only; it learns how many there are, never which row, attribute or match each is.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session

from cleanroom import audit
from cleanroom.blinding.files import ORDER, RELAY, batch_dir, read_range
from cleanroom.blinding.join import finish_version
from cleanroom.blinding.shuffle import shuffle_to_files
from cleanroom.errors import Conflict
from cleanroom.settings import Settings
from cleanroom.storage.blinding_tables import BlindingBatch, is_blinded
from cleanroom.storage.models import Dataset, DatasetVersion, Member, new_id
from protocols import ONCE_BLINDED_VERSION, RelayFrame, RelayStep, encode_frame, token_version
from protocols.binding import META_KEY_CHECK
from protocols.tokens import META_FAMILY

POINT = 32


@dataclass(frozen=True)
class OnceBlindedColumn:
    name: str
    family: str
    key_check: str


def once_blinded_columns(schema: pa.Schema) -> list[OnceBlindedColumn]:
    columns = []
    for field in schema:
        metadata = field.metadata or {}
        if META_FAMILY in metadata and token_version(field) == ONCE_BLINDED_VERSION:
            check = metadata.get(META_KEY_CHECK, b"").decode(errors="replace")
            columns.append(OnceBlindedColumn(field.name, metadata[META_FAMILY].decode(), check))
    return columns


def _newest_versions_of_others(
    session: Session, collaboration_id: str, blinder_id: str
) -> list[tuple[Dataset, DatasetVersion]]:
    datasets = session.scalars(
        select(Dataset).where(
            Dataset.collaboration_id == collaboration_id, Dataset.owner_id != blinder_id
        )
    )
    out = []
    for dataset in datasets:
        version = session.scalar(
            select(DatasetVersion)
            .where(DatasetVersion.dataset_id == dataset.id)
            .order_by(DatasetVersion.version.desc())
            .limit(1)
        )
        if version is not None and not is_blinded(version.path):
            out.append((dataset, version))
    return out


def _create_batch(
    session: Session,
    settings: Settings,
    dataset: Dataset,
    version: DatasetVersion,
    column: OnceBlindedColumn,
    blinder: Member,
) -> BlindingBatch:
    batch_id = new_id("bb")
    folder = batch_dir(settings, batch_id)
    count = shuffle_to_files(
        settings.data_dir / version.path, column.name, folder / RELAY, folder / ORDER
    )
    return BlindingBatch(
        id=batch_id,
        collaboration_id=dataset.collaboration_id,
        dataset_version_id=version.id,
        family=column.family,
        owner_id=dataset.owner_id,
        blinder_id=blinder.id,
        count=count,
        received=0,
        status="open" if count else "complete",  # nothing to blind: done at once
        owner_key_check=column.key_check,
    )


def _check_two_parties(session: Session, collaboration_id: str, blinder: Member) -> None:
    owners = set(
        session.scalars(
            select(Dataset.owner_id).where(Dataset.collaboration_id == collaboration_id)
        )
    )
    parties = len(owners | {blinder.id})
    if parties > 2:
        raise Conflict(
            f"protocol v2 matches two parties; datasets of {parties} parties take part in "
            "this collaboration (use v1, or one v2 collaboration per pair)"
        )


def open_batches(
    session: Session, settings: Settings, collaboration_id: str, blinder: Member, actor: str
) -> list[BlindingBatch]:
    """The open batches ``blinder`` must blind, creating those of new versions first.

    Protocol v2 joins two parties: once datasets of a third party are in the
    collaboration, this refuses (:class:`Conflict`) rather than let whoever asks first
    blind each version, which would make values meet or not by timing."""
    _check_two_parties(session, collaboration_id, blinder)
    known = {
        (b.dataset_version_id, b.family)
        for b in session.scalars(
            select(BlindingBatch).where(BlindingBatch.collaboration_id == collaboration_id)
        )
    }
    for dataset, version in _newest_versions_of_others(session, collaboration_id, blinder.id):
        schema = pq.read_schema(settings.data_dir / version.path)
        for column in once_blinded_columns(schema):
            if (version.id, column.family) in known:
                continue
            batch = _create_batch(session, settings, dataset, version, column, blinder)
            session.add(batch)
            audit.record(
                session,
                actor=actor,
                action="blinding.relay",
                collaboration_id=collaboration_id,
                details={
                    "dataset": dataset.name,
                    "version": version.version,
                    "family": column.family,
                    "points": batch.count,
                    "batch_id": batch.id,
                },
            )
            session.commit()
        finish_version(session, settings, version.id, actor)  # only if all are back
    query = select(BlindingBatch).where(
        BlindingBatch.collaboration_id == collaboration_id,
        BlindingBatch.blinder_id == blinder.id,
        BlindingBatch.status == "open",
    )
    return list(session.scalars(query.order_by(BlindingBatch.created_at, BlindingBatch.id)))


def relay_chunk(settings: Settings, batch: BlindingBatch, offset: int, limit: int) -> bytes:
    """Points ``offset`` to ``offset + limit`` of the batch as a step-3 relay frame."""
    count = max(0, min(limit, batch.count - offset))
    points = read_range(batch_dir(settings, batch.id) / RELAY, offset * POINT, count * POINT)
    return encode_frame(RelayFrame(RelayStep.RELAY, batch.id, offset, points))
