"""cleanroom.blinding.relay: one shuffled batch per family of the other party's newest
v2 version, points only, the row of each position kept on the server."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from cleanroom.blinding.files import ORDER, RELAY, batch_dir
from cleanroom.blinding.relay import open_batches, relay_chunk
from cleanroom.errors import Conflict
from cleanroom.storage.blinding_tables import BlindingBatch
from cleanroom.storage.models import Dataset, Role
from protocols import MalformedMessage, RelayStep, parse_frame
from tests.unit.cleanroom.blinding.v2room import ROWS, add_v2_version
from tests.unit.cleanroom.room import Room


def _open(room: Room, party: str = "retailer") -> list[BlindingBatch]:
    with room.session() as session:
        return open_batches(session, room.settings, room.id, room.members[party], room.actor(party))


def test_the_blinder_gets_one_batch_of_the_non_null_points_in_a_recorded_order(room: Room) -> None:
    v2 = add_v2_version(room)
    (batch,) = _open(room)
    tokens = v2.table.column("token_email").to_pylist()
    non_null = [i for i, t in enumerate(tokens) if t is not None]
    assert (batch.family, batch.count, batch.received, batch.status) == (
        "email",
        len(non_null),
        0,
        "open",
    )
    folder = batch_dir(room.settings, batch.id)
    order = np.frombuffer((folder / ORDER).read_bytes(), "<u8")
    assert sorted(order.tolist()) == non_null  # a permutation of the non-null rows
    relay = (folder / RELAY).read_bytes()
    assert [relay[i * 32 : (i + 1) * 32] for i in range(len(order))] == [
        tokens[row] for row in order
    ]
    assert batch.owner_key_check == v2.owner.key_check()
    assert room.audit_actions()[-1] == "blinding.relay"


def test_the_order_is_shuffled_afresh_for_each_version(room: Room) -> None:
    add_v2_version(room, rows=200, name="a")
    add_v2_version(room, rows=200, name="b")
    orders = [np.frombuffer((batch_dir(room.settings, b.id) / ORDER).read_bytes(), "<u8")
              for b in _open(room)]  # fmt: skip
    assert orders[0].tolist() != sorted(orders[0].tolist())
    assert orders[0].tolist() != orders[1].tolist()  # same rows, another permutation


def test_a_party_is_never_relayed_its_own_points_and_a_batch_is_made_once(room: Room) -> None:
    add_v2_version(room)
    assert _open(room, "brand") == []
    first = _open(room)
    assert [b.id for b in _open(room)] == [b.id for b in first]
    assert room.audit_actions().count("blinding.relay") == 1


def test_a_column_without_points_is_complete_at_once_and_the_version_joined(room: Room) -> None:
    v2 = add_v2_version(room, rows=2)
    path = room.settings.data_dir / f"datasets/{room.id}/exp/v1.parquet"
    empty = v2.table.set_column(0, v2.table.schema.field(0), pa.nulls(2, pa.binary(32)))
    pq.write_table(empty, path)
    assert _open(room) == []
    assert room.audit_actions()[-2:] == ["blinding.relay", "dataset.blinded"]


def test_a_relay_chunk_is_a_step_3_frame_at_its_offset(room: Room) -> None:
    add_v2_version(room)
    (batch,) = _open(room)
    relay = (batch_dir(room.settings, batch.id) / RELAY).read_bytes()
    frame = parse_frame(relay_chunk(room.settings, batch, 5, 7), step=RelayStep.RELAY,
                        batch_id=batch.id, offset=5)  # fmt: skip
    assert frame.points == relay[5 * 32 : 12 * 32]
    tail = relay_chunk(room.settings, batch, batch.count - 2, 100)
    assert (
        parse_frame(tail, step=RelayStep.RELAY, batch_id=batch.id, offset=batch.count - 2).count
        == 2
    )
    with pytest.raises(MalformedMessage, match=r"^relay frame is step 3, expected step 4$"):
        parse_frame(tail, step=RelayStep.REPLY, batch_id=batch.id, offset=batch.count - 2)
    assert batch.count < ROWS  # the nulls were left out


def test_a_third_party_with_datasets_stops_the_relay(room: Room) -> None:
    """Whoever asked first would blind each version: values would meet by timing."""
    add_v2_version(room)
    room.add_member("publisher", Role.PARTY_ADMIN)
    with room.session() as session:
        owner = room.members["publisher"].id
        session.add(Dataset(collaboration_id=room.id, name="p", kind="spend", owner_id=owner))
        session.commit()
    message = r"^protocol v2 matches two parties; datasets of 3 parties take part in this"
    with pytest.raises(Conflict, match=message):
        _open(room)
    with room.session() as session:
        assert session.scalars(select(BlindingBatch)).all() == []
