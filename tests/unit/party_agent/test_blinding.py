"""``party_agent.blinding``: the other party's batches, frame by frame, against an
in-memory server. A malformed frame or point is refused before anything of it is sent;
a run that stops half way resumes where the server stands."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from party_agent.blinding import BlindSummary, blind_all, blind_batch
from party_agent.client import CleanRoomClient, Json
from party_agent.errors import BatchRefused
from protocols import (
    BlindingScalar,
    RelayFrame,
    RelayStep,
    encode_frame,
    hash_to_group,
    parse_frame,
)
from protocols.ristretto import IDENTITY, blind_reference

COLLABORATION = "collab-blinding"
NON_CANONICAL = b"\xff" * 31 + b"\x7f"
Tamper = Callable[[str, int, bytes], bytes]


@dataclass
class Batch:
    id: str
    family: str
    points: bytes
    received: int = 0
    replies: dict[int, bytes] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.points) // 32


class FakeServer(CleanRoomClient):
    """The three calls ``party-agent blind`` makes, answered from memory the way the
    server answers them: frames of at most ``limit`` points from the offset asked for,
    and a reply accepted only at the batch's resume point."""

    def __init__(self, batches: list[Batch], limit: int, tamper: Tamper | None = None):
        super().__init__("http://fake")
        self.batches = {b.id: b for b in batches}
        self.limit = limit
        self.tamper = tamper
        self.calls: list[tuple[str, str, int]] = []
        self.key_checks: set[str] = set()
        self.fail_reply_at: tuple[str, int] | None = None

    def blinding_batches(self, collaboration: str) -> Json:
        assert collaboration == COLLABORATION
        listing = [
            {"id": b.id, "family": b.family, "count": b.count, "received": b.received,
             "max_points_per_frame": self.limit, "protocol": "v2"}
            for b in self.batches.values() if b.received < b.count
        ]  # fmt: skip
        return {"protocol": "v2", "step": "relay", "batches": listing}

    def relay_frame(self, collaboration: str, batch_id: str, offset: int, limit: int) -> bytes:
        self.calls.append(("GET", batch_id, offset))
        batch = self.batches[batch_id]
        points = batch.points[offset * 32 : (offset + min(limit, self.limit)) * 32]
        frame = encode_frame(RelayFrame(RelayStep.RELAY, batch_id, offset, points))
        return self.tamper(batch_id, offset, frame) if self.tamper else frame

    def reply_frame(
        self, collaboration: str, batch_id: str, offset: int, key_check: str, frame: bytes
    ) -> Json:
        if self.fail_reply_at == (batch_id, offset):
            self.fail_reply_at = None
            raise ConnectionError("the connection dropped")
        self.calls.append(("PUT", batch_id, offset))
        self.key_checks.add(key_check)
        batch = self.batches[batch_id]
        assert offset == batch.received, "the server accepts a reply at its resume point only"
        reply = parse_frame(frame, step=RelayStep.REPLY, batch_id=batch_id, offset=offset)
        batch.replies[offset] = reply.points
        batch.received += reply.count
        return {"received": batch.received}


def _points(count: int, start: int = 0) -> bytes:
    values = [f"user{i}@example.com".encode() for i in range(start, start + count)]
    return hash_to_group(COLLABORATION, "email", values)


def _replaced(points: bytes, position: int, bad: bytes) -> bytes:
    return points[: position * 32] + bad + points[(position + 1) * 32 :]


def _sent(server: FakeServer, batch_id: str) -> bytes:
    batch = server.batches[batch_id]
    return b"".join(batch.replies[offset] for offset in sorted(batch.replies))


def test_every_frame_is_blinded_in_order_and_sent_once() -> None:
    scalar = BlindingScalar.generate()
    batches = [Batch("bb_1", "email", _points(25)), Batch("bb_2", "phone", _points(7, 100))]
    server = FakeServer(batches, limit=10)
    progress: list[tuple[int, int]] = []
    summary = blind_all(server, COLLABORATION, lambda _: scalar, lambda *p: progress.append(p))
    assert _sent(server, "bb_1") == blind_reference(scalar, batches[0].points)
    assert _sent(server, "bb_2") == blind_reference(scalar, batches[1].points)
    assert [c for c in server.calls if c[0] == "PUT"] == [
        ("PUT", "bb_1", 0), ("PUT", "bb_1", 10), ("PUT", "bb_1", 20), ("PUT", "bb_2", 0),
    ]  # fmt: skip
    assert progress == [(10, 32), (20, 32), (25, 32), (32, 32)]
    assert server.key_checks == {scalar.key_check()}
    assert summary.to_dict() == {
        "protocol": "v2", "batches": 2, "points": 32, "families": {"email": 25, "phone": 7},
    }  # fmt: skip
    assert summary.to_text() == "blinded 32 points in 2 batch(es): email 25, phone 7"


def test_each_family_is_blinded_with_its_own_scalar() -> None:
    scalars = {"email": BlindingScalar.generate(), "phone": BlindingScalar.generate()}
    batches = [Batch("bb_1", "email", _points(3)), Batch("bb_2", "phone", _points(3))]
    server = FakeServer(batches, limit=10)
    blind_all(server, COLLABORATION, scalars.__getitem__)
    assert _sent(server, "bb_1") == blind_reference(scalars["email"], batches[0].points)
    assert _sent(server, "bb_2") == blind_reference(scalars["phone"], batches[1].points)


def test_nothing_waiting_says_so() -> None:
    server = FakeServer([Batch("bb_1", "email", _points(3), received=3)], limit=10)
    summary = blind_all(server, COLLABORATION, lambda _: BlindingScalar.generate())
    assert summary == BlindSummary()
    assert summary.to_text().startswith("nothing to blind")
    assert server.calls == []


@pytest.mark.parametrize(
    ("bad", "reason"),
    [(IDENTITY, "is the identity"), (NON_CANONICAL, "is not a valid ristretto255 encoding")],
    ids=["identity", "invalid encoding"],
)
@pytest.mark.parametrize("position", [20, 29])
def test_a_bad_point_stops_the_run_before_its_frame_is_sent(
    bad: bytes, reason: str, position: int
) -> None:
    """Frames before the bad one went back; nothing of the bad frame (20-29) did."""
    scalar = BlindingScalar.generate()
    points = _replaced(_points(35), position, bad)
    server = FakeServer([Batch("bb_1", "email", points)], limit=10)
    message = (
        f"^batch bb_1 refused at offset 20: point {position - 20} {reason}; nothing was sent back$"
    )
    with pytest.raises(BatchRefused, match=message):
        blind_all(server, COLLABORATION, lambda _: scalar)
    assert server.calls == [
        ("GET", "bb_1", 0), ("PUT", "bb_1", 0), ("GET", "bb_1", 10), ("PUT", "bb_1", 10),
        ("GET", "bb_1", 20),
    ]  # fmt: skip
    assert server.batches["bb_1"].received == 20


def test_a_bad_point_in_a_large_frame_is_found_across_threads() -> None:
    """A frame above the threading threshold: the whole frame is refused, none sent."""
    points = _replaced(_points(200) * 30, 5_555, IDENTITY)  # 6,000 points, one frame
    server = FakeServer([Batch("bb_1", "email", points)], limit=10_000)
    with pytest.raises(BatchRefused, match="point 5555 is the identity; nothing was sent back"):
        blind_all(server, COLLABORATION, lambda _: BlindingScalar.generate())
    assert [c[0] for c in server.calls] == ["GET"]


def _frame_at(offset: int, step: RelayStep = RelayStep.RELAY, batch: str = "bb_1") -> Tamper:
    def tamper(batch_id: str, asked: int, frame: bytes) -> bytes:
        points = parse_frame(frame, step=RelayStep.RELAY, batch_id=batch_id, offset=asked).points
        return encode_frame(RelayFrame(step, batch, offset, points))

    return tamper


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (_frame_at(5), "relay frame starts at 5, expected 0"),
        (_frame_at(0, step=RelayStep.REPLY), "relay frame is step 4, expected step 3"),
        (_frame_at(0, batch="bb_2"), "relay frame belongs to another batch"),
        (lambda b, o, f: f[:4] + b"\x03" + f[5:], "relay frame of version 3, this side speaks 2"),
        (lambda b, o, f: b"CRV1" + f[4:], "not a protocol v2 relay frame"),
        (lambda b, o, f: f[:-1], "relay frame length does not match its point count"),
        (lambda b, o, f: f[:12], "relay frame is cut short"),
        (lambda b, o, f: encode_frame(RelayFrame(RelayStep.RELAY, b, o, b"")),
         "the server sent 0 points at offset 0 of 4"),
        (lambda b, o, f: encode_frame(RelayFrame(RelayStep.RELAY, b, o, _points(5))),
         "the server sent 5 points at offset 0 of 4"),
    ],
    ids=["wrong offset", "wrong step", "other batch", "other version", "not a frame",
         "truncated", "cut short", "empty", "too many"],
)  # fmt: skip
def test_a_malformed_frame_is_refused_and_nothing_is_sent(tamper: Tamper, message: str) -> None:
    server = FakeServer([Batch("bb_1", "email", _points(4))], limit=10, tamper=tamper)
    with pytest.raises(BatchRefused, match=message):
        blind_all(server, COLLABORATION, lambda _: BlindingScalar.generate())
    assert server.calls == [("GET", "bb_1", 0)]
    assert server.batches["bb_1"].received == 0


def test_a_run_that_stops_resumes_where_the_server_stands() -> None:
    scalar = BlindingScalar.generate()
    batch = Batch("bb_1", "email", _points(30))
    server = FakeServer([batch], limit=10)
    server.fail_reply_at = ("bb_1", 20)
    with pytest.raises(ConnectionError):
        blind_all(server, COLLABORATION, lambda _: scalar)
    assert batch.received == 20
    server.calls.clear()
    summary = blind_all(server, COLLABORATION, lambda _: scalar)
    assert server.calls == [("GET", "bb_1", 20), ("PUT", "bb_1", 20)]
    assert summary.points == 10
    assert _sent(server, "bb_1") == blind_reference(scalar, batch.points)


def test_blind_batch_starts_at_the_listed_resume_point() -> None:
    scalar = BlindingScalar.generate()
    batch = Batch("bb_1", "email", _points(12), received=7)
    server = FakeServer([batch], limit=10)
    listed = server.blinding_batches(COLLABORATION)["batches"][0]
    advanced: list[int] = []
    assert blind_batch(server, COLLABORATION, listed, scalar, advanced.append) == 5
    assert advanced == [5]
    assert batch.replies[7] == blind_reference(scalar, batch.points[7 * 32 :])
