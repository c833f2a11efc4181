"""The blinder's replies: step-4 frames, checked point by point, appended in order.

A reply must continue exactly where the batch stands (``offset == received``), hold
no more points than remain, and every point must be a valid, non-identity ristretto255
encoding; anything else is refused whole (``relay-rejected``), nothing written. The
blinder names its scalar by its key check value, the same on every chunk of a batch.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from cleanroom import audit
from cleanroom.blinding.files import REPLY, batch_dir, write_at
from cleanroom.errors import BlindingOffsetMismatch, Conflict, RelayRejected
from cleanroom.settings import Settings
from cleanroom.storage.blinding_tables import BlindingBatch
from cleanroom.storage.clock import session_now
from protocols import ProtocolError, RelayStep, check_points, parse_frame

POINT = 32


def _parsed_points(batch: BlindingBatch, data: bytes, offset: int) -> bytes:
    try:
        frame = parse_frame(data, step=RelayStep.REPLY, batch_id=batch.id, offset=offset)
        if frame.count > batch.count - batch.received:
            raise RelayRejected(
                f"the reply holds {frame.count} points, only "
                f"{batch.count - batch.received} remain in batch {batch.id}"
            )
        check_points(frame.points)
    except ProtocolError as error:
        raise RelayRejected(str(error)) from None
    return frame.points


def accept_reply(
    session: Session,
    settings: Settings,
    batch: BlindingBatch,
    data: bytes,
    *,
    offset: int,
    key_check: str,
    actor: str,
) -> bool:
    """Store one reply chunk; True when it completed the batch."""
    if batch.status != "open":
        raise Conflict(f"batch {batch.id} is {batch.status}")
    if offset != batch.received:
        raise BlindingOffsetMismatch(
            f"reply offset {offset} does not match the {batch.received} points received",
            received=batch.received,
        )
    if batch.blinder_key_check not in (None, key_check):
        raise Conflict(f"batch {batch.id} was begun under another scalar; start it again")
    points = _parsed_points(batch, data, offset)
    write_at(batch_dir(settings, batch.id) / REPLY, offset * POINT, points)
    batch.received += len(points) // POINT
    batch.blinder_key_check = key_check
    batch.updated_at = session_now(session)
    done = batch.received == batch.count
    if done:
        batch.status = "complete"
        audit.record(
            session,
            actor=actor,
            action="blinding.reply",
            collaboration_id=batch.collaboration_id,
            details={"batch_id": batch.id, "family": batch.family, "points": batch.count},
        )
    session.commit()
    return done
