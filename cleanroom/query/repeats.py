"""Auditing repeats without one signed entry each.

An identical request served from its stored result costs nothing, but it is still a
disclosure to that actor, so the chain must account for every one. Sealing an entry per
repeat made the chain grow by thousands of entries a minute under load; instead:

- the **first** repeat of a result to an actor is a full signed ``query.repeat`` entry
  (request, digests, epsilon 0), as before;
- later ones only count up that actor's :class:`RepeatTally` (one row update);
- every ``REPEAT_BATCH`` uncounted repeats, and before any export of the chain, a signed
  ``query.repeats`` entry seals how many repeats of which result went to whom since the
  last one (``repeats``, and ``total`` so far).

The chain stays verifiable (only ordinary sealed entries are added), and an export
always accounts for every repeat served before it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cleanroom import audit
from cleanroom.audit.chain import Outcome
from cleanroom.storage.clock import session_now
from cleanroom.storage.db import insert_if_absent
from cleanroom.storage.query_tables import RepeatTally

REPEAT_BATCH = 100


@dataclass(frozen=True)
class _Tally:
    id: int
    collaboration_id: str
    result_id: str
    actor: str


def count_repeat(
    session: Session,
    collaboration_id: str,
    result_id: str,
    actor: str,
    audit_first: Callable[[], None],
) -> None:
    """Count one repeat (the caller commits); ``audit_first`` writes the full entry."""
    row = {"collaboration_id": collaboration_id, "result_id": result_id, "actor": actor}
    insert_if_absent(
        session,
        RepeatTally,
        list(row),
        {**row, "count": 0, "sealed": 0, "updated_at": session_now(session)},
    )
    counted = session.execute(
        update(RepeatTally)
        .where(*(getattr(RepeatTally, k) == v for k, v in row.items()))
        .values(count=RepeatTally.count + 1, updated_at=session_now(session))
        .returning(RepeatTally.id, RepeatTally.count.label("total"), RepeatTally.sealed)
    ).one()
    if counted.total == 1:
        _mark_sealed(session, counted.id, 1, 0)
        audit_first()
    elif counted.total - counted.sealed >= REPEAT_BATCH:
        tally = _Tally(counted.id, collaboration_id, result_id, actor)
        _seal(session, tally, counted.total, counted.sealed)


def _mark_sealed(session: Session, tally_id: int, through: int, was: int) -> bool:
    """Move ``sealed`` from ``was`` to ``through`` unless someone else moved it first."""
    moved = session.execute(
        update(RepeatTally)
        .where(RepeatTally.id == tally_id, RepeatTally.sealed == was)
        .values(sealed=through)
        .execution_options(synchronize_session=False)
    )
    return bool(moved.rowcount == 1)  # type: ignore[attr-defined]  # CursorResult of an UPDATE


def _seal(session: Session, tally: _Tally, count: int, sealed: int) -> None:
    if not _mark_sealed(session, tally.id, count, sealed):
        return  # a concurrent seal counted these repeats already
    audit.record(
        session,
        actor=tally.actor,
        action="query.repeats",
        collaboration_id=tally.collaboration_id,
        details={
            "result_id": tally.result_id,
            "repeats": count - sealed,
            "total": count,
            "outcome": Outcome.REPEAT,
            "epsilon_charged": "0/1",
        },
    )


def seal_pending_repeats(session: Session, collaboration_id: str) -> int:
    """Seal every uncounted repeat of the collaboration (before an export); the caller
    commits. Returns how many tallies had repeats to seal."""
    pending = session.scalars(
        select(RepeatTally)
        .where(
            RepeatTally.collaboration_id == collaboration_id,
            RepeatTally.count > RepeatTally.sealed,
        )
        .order_by(RepeatTally.id)
    ).all()
    for row in pending:
        _seal(
            session,
            _Tally(row.id, collaboration_id, row.result_id, row.actor),
            row.count,
            row.sealed,
        )
    return len(pending)
