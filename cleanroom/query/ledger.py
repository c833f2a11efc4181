"""The privacy-budget ledger: exact, never negative, atomic under concurrency.

One row per (collaboration, refresh period) holds the epsilon spent in that period as
exact ``"p/q"`` text. :func:`charge` runs inside the caller's transaction (the one that
also stores the result and appends the audit entry) and is atomic because:

1. its first statement is ``INSERT ... ON CONFLICT DO NOTHING`` of the period's row. On
   SQLite that write takes the database's single write lock (what ``BEGIN IMMEDIATE``
   would do), so no other charge can interleave until this transaction ends; on
   PostgreSQL a racing insert of the same row waits for the first one to commit;
2. it then reads the row ``FOR UPDATE`` (a row lock on PostgreSQL; SQLite already
   holds the write lock), computes the new total with :func:`policies.charge` (exact
   Fractions; refuses when the query does not fit), and
3. writes it with ``UPDATE ... WHERE version = <the version read>``, checked by
   rowcount, so a stale read can never overwrite a concurrent charge (belt and braces
   for any isolation level; a miss re-reads and re-checks).

Nothing else writes ``spent``; a query that fails before this point charges nothing.
"""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

import policies
from cleanroom.errors import InternalError
from cleanroom.storage.clock import session_now
from cleanroom.storage.db import insert_if_absent
from cleanroom.storage.query_tables import BudgetLedgerRow
from policies import BudgetState, Period, fraction_text

MAX_ATTEMPTS = 20


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _where(
    collaboration_id: str, start: datetime, end: datetime
) -> tuple[ColumnElement[bool], ...]:
    return (
        BudgetLedgerRow.collaboration_id == collaboration_id,
        BudgetLedgerRow.period_start == _epoch(start),
        BudgetLedgerRow.period_end == _epoch(end),
    )


def period_state(
    session: Session, collaboration_id: str, period: Period, at: datetime
) -> BudgetState:
    """What was spent in the period holding ``at`` (read only; 0 when nothing yet)."""
    start, end = period.bounds(at)
    spent = session.scalar(
        select(BudgetLedgerRow.spent).where(*_where(collaboration_id, start, end))
    )
    return BudgetState(Fraction(spent) if spent else Fraction(0), start, end)


def _ensure_row(session: Session, collaboration_id: str, start: datetime, end: datetime) -> None:
    row = {
        "collaboration_id": collaboration_id,
        "period_start": _epoch(start),
        "period_end": _epoch(end),
        "spent": fraction_text(Fraction(0)),
        "version": 0,
        "updated_at": session_now(session),
    }
    insert_if_absent(
        session, BudgetLedgerRow, ["collaboration_id", "period_start", "period_end"], row
    )


def charge(
    session: Session,
    collaboration_id: str,
    limit: Fraction,
    period: Period,
    at: datetime,
    epsilon: Fraction,
) -> BudgetState:
    """Spend ``epsilon`` in the period holding ``at``; returns the state after the charge.

    Raises :class:`policies.BudgetExceeded` (plain words: what is needed, what is left,
    until when) when it does not fit under ``limit``. The caller commits or rolls back.
    """
    start, end = period.bounds(at)
    _ensure_row(session, collaboration_id, start, end)
    for _ in range(MAX_ATTEMPTS):
        row = session.execute(
            select(BudgetLedgerRow.id, BudgetLedgerRow.spent, BudgetLedgerRow.version)
            .where(*_where(collaboration_id, start, end))
            .with_for_update()
        ).one()
        after = policies.charge(limit, BudgetState(Fraction(row.spent), start, end), epsilon)
        written = session.execute(
            update(BudgetLedgerRow)
            .where(BudgetLedgerRow.id == row.id, BudgetLedgerRow.version == row.version)
            .values(
                spent=fraction_text(after.spent),
                version=row.version + 1,
                updated_at=session_now(session),
            )
            .execution_options(synchronize_session=False)
        )
        if written.rowcount == 1:  # type: ignore[attr-defined]  # CursorResult of an UPDATE
            return after
    raise InternalError("the budget ledger row kept changing under this charge (a bug)")
