"""Relay frames name their version, step, batch and offset; anything else is refused."""

from __future__ import annotations

import pytest

from protocols import (
    MalformedMessage,
    RelayFrame,
    RelayStep,
    UnsupportedVersion,
    encode_frame,
    parse_frame,
)

POINTS = bytes(range(32)) * 3
FRAME = RelayFrame(RelayStep.RELAY, "bb_123", 64, POINTS)
WIRE = encode_frame(FRAME)


def test_a_frame_round_trips() -> None:
    parsed = parse_frame(WIRE, step=RelayStep.RELAY, batch_id="bb_123", offset=64)
    assert parsed == FRAME
    assert parsed.count == 3


@pytest.mark.parametrize(
    ("data", "expected", "message"),
    [
        (b"JUNK" + WIRE[4:], MalformedMessage, "not a protocol v2 relay frame"),
        (WIRE[:4] + b"\x01" + WIRE[5:], UnsupportedVersion, "relay frame of version 1"),
        (WIRE[:5] + b"\x04" + WIRE[6:], MalformedMessage, "step 4, expected step 3"),
        (WIRE[:-1], MalformedMessage, "does not match its point count"),
        (WIRE + bytes(32), MalformedMessage, "does not match its point count"),
        (WIRE[:12], MalformedMessage, "cut short"),
    ],
    ids=["magic", "version", "step", "short", "long", "truncated header"],
)
def test_malformed_frames_are_refused(data: bytes, expected: type[Exception], message: str) -> None:
    with pytest.raises(expected, match=message):
        parse_frame(data, step=RelayStep.RELAY, batch_id="bb_123", offset=64)


def test_a_frame_of_another_batch_or_offset_is_refused() -> None:
    with pytest.raises(MalformedMessage, match="another batch"):
        parse_frame(WIRE, step=RelayStep.RELAY, batch_id="bb_999", offset=64)
    with pytest.raises(MalformedMessage, match="starts at 64, expected 0"):
        parse_frame(WIRE, step=RelayStep.RELAY, batch_id="bb_123", offset=0)
