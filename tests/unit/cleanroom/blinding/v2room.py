"""A v2 dataset version in a unit :class:`~tests.unit.cleanroom.room.Room`, without HTTP.

The brand's once-blinded file is written where publish would put it and its rows are
added directly (upload validation has its own tests); the retailer is the blinder.
Every fourth user has no email, so the token column has nulls the relay must skip.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.parquet as pq

from cleanroom.storage.blinding_tables import BlindingBatch
from cleanroom.storage.models import Dataset, DatasetVersion
from protocols import (
    Blinder,
    BlindingScalar,
    IdType,
    RelayFrame,
    RelayStep,
    blind_many,
    encode_frame,
)
from protocols.binding import bind_schema
from tests.unit.cleanroom.room import Room

ROWS = 40


@dataclass(frozen=True)
class V2Version:
    version_id: int
    owner: BlindingScalar
    blinder: BlindingScalar
    table: pa.Table  # as uploaded: once-blinded tokens


def emails(rows: int) -> list[str | None]:
    return [None if i % 4 == 1 else f"user{i}@example.com" for i in range(rows)]


def add_v2_version(room: Room, rows: int = ROWS, name: str = "exp") -> V2Version:
    owner, blinder = BlindingScalar.generate(), BlindingScalar.generate()
    maker = Blinder({"email": owner}, room.id, parallel=False)
    tokens = maker.tokenize_array(IdType.EMAIL, pa.array(emails(rows), pa.string())).tokens
    schema = bind_schema(pa.schema([maker.token_field("email"), ("n", pa.int64())]), maker)
    table = pa.Table.from_arrays([tokens, pa.array(range(rows), pa.int64())], schema=schema)
    relative = f"datasets/{room.id}/{name}/v1.parquet"
    path = room.settings.data_dir / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    with room.session() as session:
        dataset = Dataset(
            collaboration_id=room.id, name=name, kind="exposures", owner_id=room.members["brand"].id
        )
        session.add(dataset)
        session.flush()
        version = DatasetVersion(
            collaboration_id=room.id,
            dataset_id=dataset.id,
            version=1,
            path=relative,
            size=path.stat().st_size,
            sha256="0" * 64,
            rows=rows,
            columns=table.column_names,
            uploaded_by=room.members["brand"].id,
        )
        session.add(version)
        session.commit()
        return V2Version(version.id, owner, blinder, table)


def reply_frame(batch: BlindingBatch, points: bytes, offset: int) -> bytes:
    return encode_frame(RelayFrame(RelayStep.REPLY, batch.id, offset, points))


def blinded_reply(v2: V2Version, relay_points: bytes) -> bytes:
    return blind_many(v2.blinder, relay_points, parallel=False)
