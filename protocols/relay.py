"""Protocol v2 relay messages: the partner's once-blinded points out, twice-blinded back.

The order of a v2 collaboration (each step names the version and its place in it)::

    1 tokenize   party A writes a * H(x) per row (agent, offline)
    2 upload     A uploads its file; the server keeps it, unjoinable
    3 relay      server -> B: A's points of one family, without attributes, shuffled
                 (:data:`RelayStep.RELAY`, ``GET .../blinding/{batch}/points``)
    4 reply      B -> server: b * (a * H(x)), same positions (:data:`RelayStep.REPLY`,
                 ``PUT .../blinding/{batch}/points``)
    5 join       the server puts each reply back on the row it recorded and joins

Steps 3 and 4 travel in one binary frame (big-endian integers)::

    magic "CRV2" | version 2 (u8) | step (u8) | len(batch id) (u8) | batch id (ASCII)
    | offset (u64) | count (u32) | count * 32 bytes of ristretto255 points

:func:`parse_frame` refuses a frame of another version, step, batch or offset, or whose
length does not match its count, before anything reads its points.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum

from protocols.errors import MalformedMessage, UnsupportedVersion
from protocols.ristretto import POINT_BYTES

MAGIC = b"CRV2"
VERSION = 2
#: Frames describe themselves (magic, version, step), so they travel as plain octets.
MEDIA_TYPE = "application/octet-stream"
_TAIL = struct.Struct(">QI")


class RelayStep(IntEnum):
    """A frame's place in the v2 order (see the module docstring)."""

    RELAY = 3
    REPLY = 4


@dataclass(frozen=True)
class RelayFrame:
    step: RelayStep
    batch_id: str
    offset: int
    points: bytes

    @property
    def count(self) -> int:
        return len(self.points) // POINT_BYTES


def encode_frame(frame: RelayFrame) -> bytes:
    batch = frame.batch_id.encode("ascii")
    if len(batch) > 255 or len(frame.points) % POINT_BYTES:
        raise MalformedMessage("a relay frame holds a short batch id and whole points")
    head = MAGIC + bytes([VERSION, int(frame.step), len(batch)]) + batch
    return head + _TAIL.pack(frame.offset, frame.count) + frame.points


def parse_frame(data: bytes, *, step: RelayStep, batch_id: str, offset: int) -> RelayFrame:
    """The frame in ``data``, which must be ``step`` of ``batch_id`` at ``offset``."""
    if len(data) < 7 or data[:4] != MAGIC:
        raise MalformedMessage("not a protocol v2 relay frame")
    if data[4] != VERSION:
        raise UnsupportedVersion(f"relay frame of version {data[4]}, this side speaks {VERSION}")
    if data[5] != step:
        raise MalformedMessage(f"relay frame is step {data[5]}, expected step {int(step)}")
    end = 7 + data[6]
    if len(data) < end + _TAIL.size:
        raise MalformedMessage("relay frame is cut short")
    if data[7:end] != batch_id.encode("ascii"):
        raise MalformedMessage("relay frame belongs to another batch")
    got_offset, count = _TAIL.unpack_from(data, end)
    if got_offset != offset:
        raise MalformedMessage(f"relay frame starts at {got_offset}, expected {offset}")
    points = data[end + _TAIL.size :]
    if len(points) != count * POINT_BYTES:
        raise MalformedMessage("relay frame length does not match its point count")
    return RelayFrame(step, batch_id, offset, points)
