"""cleanroom.blinding.replies: a reply continues exactly where the batch stands and is
refused whole, with a precise error and nothing written, when anything is off."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from cleanroom.blinding.files import RELAY, REPLY, batch_dir
from cleanroom.blinding.relay import open_batches
from cleanroom.blinding.replies import accept_reply
from cleanroom.errors import BlindingOffsetMismatch, Conflict, RelayRejected
from cleanroom.storage.blinding_tables import BlindingBatch
from protocols import RelayFrame, RelayStep, encode_frame
from protocols.ristretto import IDENTITY
from tests.unit.cleanroom.blinding.v2room import V2Version, add_v2_version, blinded_reply
from tests.unit.cleanroom.room import Room

NOT_CANONICAL = b"\xff" * 31 + b"\x7f"


@pytest.fixture
def opened(room: Room) -> tuple[V2Version, str, bytes]:
    """(the version, its batch id, the blinder's correct reply to the whole batch)."""
    v2 = add_v2_version(room)
    with room.session() as session:
        (batch,) = open_batches(session, room.settings, room.id, room.members["retailer"], "r")
    relay = (batch_dir(room.settings, batch.id) / RELAY).read_bytes()
    return v2, batch.id, blinded_reply(v2, relay)


def _send(room: Room, batch_id: str, data: bytes, offset: int, key_check: str) -> bool:
    with room.session() as session:
        batch = session.get(BlindingBatch, batch_id)
        assert batch is not None
        return accept_reply(
            session, room.settings, batch, data, offset=offset, key_check=key_check, actor="r"
        )


def _frame(batch_id: str, points: bytes, offset: int, step: RelayStep = RelayStep.REPLY) -> bytes:
    return encode_frame(RelayFrame(step, batch_id, offset, points))


def _state(room: Room, batch_id: str) -> tuple[int, str, str | None, bytes | None]:
    with room.session() as session:
        batch = session.get(BlindingBatch, batch_id)
        assert batch is not None
        reply = batch_dir(room.settings, batch_id) / REPLY
        data = reply.read_bytes() if reply.exists() else None
        return batch.received, batch.status, batch.blinder_key_check, data


def test_chunks_in_order_complete_the_batch(
    room: Room, opened: tuple[V2Version, str, bytes]
) -> None:
    v2, batch_id, reply = opened
    check = v2.blinder.key_check()
    assert not _send(room, batch_id, _frame(batch_id, reply[: 10 * 32], 0), 0, check)
    assert _state(room, batch_id)[:3] == (10, "open", check)
    assert _send(room, batch_id, _frame(batch_id, reply[10 * 32 :], 10), 10, check)
    received, status, _, stored = _state(room, batch_id)
    assert (received * 32, status, stored) == (len(reply), "complete", reply)
    assert room.audit_actions()[-1] == "blinding.reply"


Bad = Callable[[str, bytes], bytes]
CASES: list[tuple[str, Bad, str]] = [
    ("wrong version", lambda b, r: _frame(b, r[:64], 0)[:4] + b"\x03" + _frame(b, r[:64], 0)[5:],
     "^relay frame of version 3, this side speaks 2$"),
    ("wrong step", lambda b, r: _frame(b, r[:64], 0, RelayStep.RELAY),
     "^relay frame is step 3, expected step 4$"),
    ("other batch", lambda b, r: _frame("bb_other", r[:64], 0),
     "^relay frame belongs to another batch$"),
    ("not a frame", lambda b, r: b"hello" + r[:64], "^not a protocol v2 relay frame$"),
    ("cut short", lambda b, r: _frame(b, r[:64], 0)[:10], "^relay frame is cut short$"),
    ("length", lambda b, r: _frame(b, r[:64], 0) + b"\x00" * 32,
     "^relay frame length does not match its point count$"),
    ("offset inside", lambda b, r: _frame(b, r[:64], 3), "^relay frame starts at 3, expected 0$"),
    ("identity", lambda b, r: _frame(b, r[:32] + IDENTITY + r[64:96], 0),
     "^point 1 is the identity$"),
    ("invalid", lambda b, r: _frame(b, r[:64] + NOT_CANONICAL, 0),
     "^point 2 is not a valid ristretto255 encoding$"),
    ("too many", lambda b, r: _frame(b, r + r[:32], 0),
     r"^the reply holds \d+ points, only \d+ remain in batch bb_\w+$"),
]  # fmt: skip


@pytest.mark.parametrize(("bad", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_malformed_reply_is_refused_whole_and_nothing_is_written(
    room: Room, opened: tuple[V2Version, str, bytes], bad: Bad, message: str
) -> None:
    v2, batch_id, reply = opened
    before = _state(room, batch_id)
    with pytest.raises(RelayRejected, match=message):
        _send(room, batch_id, bad(batch_id, reply), 0, v2.blinder.key_check())
    assert _state(room, batch_id) == before == (0, "open", None, None)


def test_a_replayed_chunk_is_refused_and_changes_nothing(
    room: Room, opened: tuple[V2Version, str, bytes]
) -> None:
    v2, batch_id, reply = opened
    chunk = _frame(batch_id, reply[: 10 * 32], 0)
    _send(room, batch_id, chunk, 0, v2.blinder.key_check())
    before = _state(room, batch_id)
    with pytest.raises(
        BlindingOffsetMismatch, match=r"^reply offset 0 does not match the 10 points received$"
    ):
        _send(room, batch_id, chunk, 0, v2.blinder.key_check())
    assert _state(room, batch_id) == before


def test_a_reply_to_a_complete_batch_is_a_conflict(
    room: Room, opened: tuple[V2Version, str, bytes]
) -> None:
    v2, batch_id, reply = opened
    _send(room, batch_id, _frame(batch_id, reply, 0), 0, v2.blinder.key_check())
    before = _state(room, batch_id)
    with pytest.raises(Conflict, match=f"^batch {batch_id} is complete$"):
        _send(room, batch_id, _frame(batch_id, reply, 0), 0, v2.blinder.key_check())
    assert _state(room, batch_id) == before


def test_a_batch_begun_under_one_scalar_refuses_another(
    room: Room, opened: tuple[V2Version, str, bytes]
) -> None:
    v2, batch_id, reply = opened
    _send(room, batch_id, _frame(batch_id, reply[:320], 0), 0, v2.blinder.key_check())
    before = _state(room, batch_id)
    with pytest.raises(Conflict, match=r"was begun under another scalar; start it again$"):
        _send(room, batch_id, _frame(batch_id, reply[320:], 10), 10, "0" * 16)
    assert _state(room, batch_id) == before
