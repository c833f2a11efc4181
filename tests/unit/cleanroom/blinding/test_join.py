"""cleanroom.blinding.join: once every batch is back, the version's file becomes the
doubly blinded one, each point on the row it came from, in one audited commit."""

from __future__ import annotations

import pyarrow.parquet as pq

from cleanroom.blinding.files import RELAY, REPLY, batch_dir, write_atomically
from cleanroom.blinding.join import finish_version
from cleanroom.blinding.relay import open_batches
from cleanroom.storage.blinding_tables import BlindingBatch
from cleanroom.storage.models import DatasetVersion
from protocols import DOUBLY_BLINDED_VERSION, blind_many, token_version
from protocols.binding import META_KEY_CHECK
from protocols.blind_tokens import META_BLINDER_KEY_CHECK
from tests.unit.cleanroom.blinding.v2room import V2Version, add_v2_version
from tests.unit.cleanroom.room import Room


def _open_and_reply(room: Room, v2: V2Version, *, complete: bool = True) -> BlindingBatch:
    with room.session() as session:
        (batch,) = open_batches(session, room.settings, room.id, room.members["retailer"], "r")
        folder = batch_dir(room.settings, batch.id)
        write_atomically(folder / REPLY, blind_many(v2.blinder, (folder / RELAY).read_bytes()))
        batch.received, batch.status = batch.count, "complete" if complete else "open"
        batch.blinder_key_check = v2.blinder.key_check()
        session.commit()
        return batch


def _finish(room: Room, v2: V2Version) -> bool:
    with room.session() as session:
        blinded = finish_version(session, room.settings, v2.version_id, "r")
    expected = room.settings.data_dir / f"datasets/{room.id}/exp/v1.blinded.parquet"
    assert blinded is None or (blinded == expected and blinded.is_file())
    return blinded is not None


def test_each_row_gets_the_twice_blinded_point_of_its_own_value(room: Room) -> None:
    v2 = add_v2_version(room)
    batch = _open_and_reply(room, v2)
    old = room.settings.data_dir / f"datasets/{room.id}/exp/v1.parquet"
    assert _finish(room, v2)
    with room.session() as session:
        version = session.get(DatasetVersion, v2.version_id)
        assert version is not None and version.path.endswith("v1.blinded.parquet")
        path = room.settings.data_dir / version.path
    table = pq.read_table(path)
    expected = [None if t is None else blind_many(v2.blinder, t) for t in
                v2.table.column("token_email").to_pylist()]  # fmt: skip
    assert table.column("token_email").to_pylist() == expected
    assert table.column("n").equals(v2.table.column("n"))  # attributes untouched, in order
    field = table.schema.field("token_email")
    assert token_version(field) == DOUBLY_BLINDED_VERSION
    assert field.metadata[META_KEY_CHECK] == v2.owner.key_check().encode()
    assert field.metadata[META_BLINDER_KEY_CHECK] == v2.blinder.key_check().encode()
    assert not old.exists() and not batch_dir(room.settings, batch.id).exists()
    assert room.audit_actions()[-1] == "dataset.blinded"


def test_nothing_changes_while_a_batch_is_open(room: Room) -> None:
    v2 = add_v2_version(room)
    _open_and_reply(room, v2, complete=False)
    assert not _finish(room, v2)
    with room.session() as session:
        version = session.get(DatasetVersion, v2.version_id)
        assert version is not None and version.path.endswith("v1.parquet")
    assert "dataset.blinded" not in room.audit_actions()


def test_a_version_without_batches_is_not_joined(room: Room) -> None:
    v2 = add_v2_version(room)
    assert not _finish(room, v2)
