"""``party-agent blind``: blind the other party's once-blinded points with this party's
scalar and send them back (protocol v2, steps 3 and 4 of ``protocols.relay``).

Per batch, from the server's resume point (``received``) on: fetch one relay frame,
check the frame (version, step, batch, offset, length) and every point in it (a valid
ristretto255 encoding, not the identity), multiply by the family's scalar on every core,
and return the reply frame. A malformed frame or point stops the run before anything
of that frame is sent (:class:`~party_agent.errors.BatchRefused`). A run that stops
half way resumes where the server stands: run the command again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from party_agent.client import CleanRoomClient, Json
from party_agent.errors import BatchRefused
from protocols import (
    BlindingScalar,
    ProtocolError,
    RelayFrame,
    RelayStep,
    blind_many,
    encode_frame,
    parse_frame,
)

Progress = Callable[[int, int], None]
"""Called with (points done, points in all batches) after every frame."""


@dataclass
class BlindSummary:
    batches: int = 0
    points: int = 0
    families: dict[str, int] = field(default_factory=dict)

    def to_text(self) -> str:
        if self.batches == 0:
            return "nothing to blind: no new upload of the other party is waiting"
        families = ", ".join(f"{name} {count:,}" for name, count in sorted(self.families.items()))
        return f"blinded {self.points:,} points in {self.batches} batch(es): {families}"

    def to_dict(self) -> dict[str, object]:
        return {
            "protocol": "v2",
            "batches": self.batches,
            "points": self.points,
            "families": self.families,
        }


def _blinded_frame(batch: Json, data: bytes, offset: int, scalar: BlindingScalar) -> RelayFrame:
    try:
        frame = parse_frame(data, step=RelayStep.RELAY, batch_id=batch["id"], offset=offset)
        if frame.count == 0 or frame.count > batch["count"] - offset:
            raise BatchRefused(
                f"batch {batch['id']}: the server sent {frame.count} points at offset "
                f"{offset} of {batch['count']}; nothing was sent back"
            )
        points = blind_many(scalar, frame.points)
    except ProtocolError as error:
        raise BatchRefused(
            f"batch {batch['id']} refused at offset {offset}: {error}; nothing was sent back"
        ) from None
    return RelayFrame(RelayStep.REPLY, batch["id"], offset, points)


def blind_batch(
    client: CleanRoomClient,
    collaboration: str,
    batch: Json,
    scalar: BlindingScalar,
    advance: Callable[[int], None],
) -> int:
    """Blind one batch from its resume point; returns the points sent."""
    offset, sent = int(batch["received"]), 0
    limit = int(batch["max_points_per_frame"])
    while offset < batch["count"]:
        data = client.relay_frame(collaboration, batch["id"], offset, limit)
        reply = _blinded_frame(batch, data, offset, scalar)
        client.reply_frame(
            collaboration, batch["id"], offset, scalar.key_check(), encode_frame(reply)
        )
        offset += reply.count
        sent += reply.count
        advance(reply.count)
    return sent


def blind_all(
    client: CleanRoomClient,
    collaboration: str,
    scalar_of: Callable[[str], BlindingScalar],
    progress: Progress | None = None,
) -> BlindSummary:
    """Every open batch addressed to this party, in the server's order."""
    listing = client.blinding_batches(collaboration)
    batches = listing["batches"]
    total = sum(int(b["count"]) - int(b["received"]) for b in batches)
    summary = BlindSummary()
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress(done, total)

    for batch in batches:
        sent = blind_batch(client, collaboration, batch, scalar_of(batch["family"]), advance)
        summary.batches += 1
        summary.points += sent
        summary.families[batch["family"]] = summary.families.get(batch["family"], 0) + sent
    return summary
