"""Re-attach the twice-blinded points to their rows: the version becomes joinable.

Once every family's batch of a dataset version is complete, each reply point goes back
to the row ``order.bin`` recorded for its position, streaming
(:mod:`~cleanroom.blinding.rejoin`: memory stays flat with the file's size); the token
columns are retagged ``v2/ristretto255`` (doubly blinded) and carry both scalars' key
check values. The file
is written next to the version's (``v<N>.blinded.parquet``), the version row points at
it and ``dataset.blinded`` is audited in one commit; then the once-blinded file and the
batch files are deleted. A crash before the commit leaves the version as it was (the
new file is an orphan that start-up removes).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from cleanroom import audit
from cleanroom.blinding.files import batch_dir, remove_batch
from cleanroom.blinding.rejoin import Replacement, rejoin_file
from cleanroom.settings import Settings
from cleanroom.storage.blinding_tables import BLINDED_SUFFIX, BlindingBatch
from cleanroom.storage.models import Dataset, DatasetVersion
from protocols import DOUBLY_BLINDED_VERSION, versioned_field
from protocols.binding import META_KEY_CHECK
from protocols.blind_tokens import META_BLINDER_KEY_CHECK
from protocols.tokens import token_column_name


def _field(batch: BlindingBatch) -> pa.Field:
    field = versioned_field(batch.family, DOUBLY_BLINDED_VERSION)
    checks = {
        META_KEY_CHECK: batch.owner_key_check,
        META_BLINDER_KEY_CHECK: batch.blinder_key_check or "",
    }
    return field.with_metadata({**(field.metadata or {}), **checks})


def _write_blinded(
    settings: Settings, version: DatasetVersion, batches: list[BlindingBatch]
) -> str:
    replacements = [
        Replacement(token_column_name(b.family), _field(b), batch_dir(settings, b.id), b.count)
        for b in batches
    ]
    relative = str(Path(version.path).with_suffix("")) + BLINDED_SUFFIX
    rejoin_file(settings.data_dir / version.path, settings.data_dir / relative, replacements)
    return relative


def finish_version(
    session: Session, settings: Settings, version_id: int, actor: str
) -> Path | None:
    """Make the version joinable if all its batches are back: the doubly blinded file it
    now reads (to prepare for queries), or None if some batch is still out."""
    version = session.get(DatasetVersion, version_id, with_for_update=True)
    batches = list(
        session.scalars(select(BlindingBatch).where(BlindingBatch.dataset_version_id == version_id))
    )
    if version is None or any(b.status != "complete" for b in batches) or not batches:
        session.rollback()
        return None
    old = settings.data_dir / version.path
    version.path = _write_blinded(settings, version, batches)
    dataset = session.get(Dataset, version.dataset_id)
    audit.record(
        session,
        actor=actor,
        action="dataset.blinded",
        collaboration_id=version.collaboration_id,
        details={
            "dataset": dataset.name if dataset else None,
            "version": version.version,
            "families": sorted(b.family for b in batches),
            "rows": version.rows,
        },
    )
    session.commit()
    old.unlink(missing_ok=True)
    for batch in batches:
        remove_batch(settings, batch.id)
    return settings.data_dir / version.path
