"""Re-attach the twice-blinded points to their rows: the version becomes joinable.

Once every family's batch of a dataset version is complete, each reply point goes back
to the row ``order.bin`` recorded for its position; the token columns are retagged
``v2/ristretto255`` (doubly blinded) and carry both scalars' key check values. The file
is written next to the version's (``v<N>.blinded.parquet``), the version row points at
it and ``dataset.blinded`` is audited in one commit; then the once-blinded file and the
batch files are deleted. A crash before the commit leaves the version as it was (the
new file is an orphan that start-up removes).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session

from cleanroom import audit
from cleanroom.blinding.files import ORDER, REPLY, batch_dir, remove_batch
from cleanroom.settings import Settings
from cleanroom.storage.blinding_tables import BLINDED_SUFFIX, BlindingBatch
from cleanroom.storage.models import Dataset, DatasetVersion
from protocols import DOUBLY_BLINDED_VERSION, versioned_field
from protocols.binding import META_KEY_CHECK
from protocols.blind_tokens import META_BLINDER_KEY_CHECK
from protocols.tokens import TOKEN_TYPE, token_column_name

POINT = 32


def _rejoined(settings: Settings, batch: BlindingBatch, rows: int) -> pa.Array:
    folder = batch_dir(settings, batch.id)
    order = np.frombuffer((folder / ORDER).read_bytes(), dtype="<u8")
    reply = (folder / REPLY).read_bytes() if batch.count else b""
    by_row = np.argsort(order, kind="stable")
    points = np.frombuffer(reply, dtype="S32")[by_row] if batch.count else np.array([], "S32")
    compact = pa.FixedSizeBinaryArray.from_buffers(
        TOKEN_TYPE, batch.count, [None, pa.py_buffer(points.tobytes())]
    )
    mask = np.zeros(rows, dtype=bool)
    mask[order.astype(np.int64)] = True
    return pc.replace_with_mask(pa.nulls(rows, TOKEN_TYPE), pa.array(mask), compact)


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
    source = settings.data_dir / version.path
    table = pq.read_table(source)
    for batch in batches:
        name = token_column_name(batch.family)
        index = table.schema.get_field_index(name)
        table = table.set_column(index, _field(batch), _rejoined(settings, batch, table.num_rows))
    relative = str(Path(version.path).with_suffix("")) + BLINDED_SUFFIX
    final = settings.data_dir / relative
    temp = final.with_name(f".{final.name}.tmp")
    pq.write_table(table, temp, compression="zstd")
    with open(temp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temp, final)
    return relative


def finish_version(session: Session, settings: Settings, version_id: int, actor: str) -> bool:
    """Make the version joinable if all its batches are back; True if it did."""
    version = session.get(DatasetVersion, version_id, with_for_update=True)
    batches = list(
        session.scalars(select(BlindingBatch).where(BlindingBatch.dataset_version_id == version_id))
    )
    if version is None or any(b.status != "complete" for b in batches) or not batches:
        session.rollback()
        return False
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
    return True
