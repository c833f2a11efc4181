"""The privacy-budget ledger: exact, never negative, atomic under concurrency.

One row per (collaboration, refresh period) holds the epsilon spent in that period as
exact ``"p/q"`` text, and one more row per collaboration, the *lifetime* row (period
``[0, LIFETIME_END)``, which never ends), holds the total over every period. Every
charge adds to both; the lifetime cap is checked against the lifetime row. A database
from before the lifetime row existed starts it at the sum of its period rows.
:func:`charge` runs inside the caller's transaction (the one that also stores the
result and appends the audit entry) and is atomic because:

1. its first statements are ``INSERT ... ON CONFLICT DO NOTHING`` of the period's row,
   then of the lifetime row (always in that order). On SQLite the first write takes the
   database's single write lock (what ``BEGIN IMMEDIATE`` would do), so no other charge
   can interleave until this transaction ends; on PostgreSQL a racing insert of the same
   row waits for the first one to commit;
2. it then reads both rows ``FOR UPDATE`` in id order (row locks on PostgreSQL; SQLite
   already holds the write lock), computes the new totals with :func:`policies.charge`
   (exact Fractions; refuses when the query does not fit the period or the lifetime),
3. writes each with ``UPDATE ... WHERE version = <the version read>``, checked by
   rowcount, so a stale read can never overwrite a concurrent charge (belt and braces
   for any isolation level; a miss of both re-reads and re-checks).

Totals stay short: :func:`policies.settle` (inside :class:`policies.BudgetState`) keeps
every stored value's denominator at most 10^30, rounding up only if it would grow past
that, so no state can overflow the text column or Python's int-to-text limit.
Nothing else writes ``spent``; a query that fails before this point charges nothing.
"""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

import policies
from cleanroom.errors import Conflict, InternalError
from cleanroom.policy.document import parse_policy
from cleanroom.storage.clock import session_now
from cleanroom.storage.db import insert_if_absent
from cleanroom.storage.models import PolicyVersion
from cleanroom.storage.query_tables import BudgetLedgerRow, StoredResult
from policies import Budget, BudgetState, Period, fraction_text, settle

MAX_ATTEMPTS = 20
LIFETIME_END = 2**62
"""``period_end`` of the lifetime row (``period_start`` 0): a period that never ends."""


class LedgerUnreadable(Conflict):
    slug, status, title = "budget-ledger-unreadable", 409, "Budget ledger unreadable"


def _amount(text: str) -> Fraction:
    """A stored total; text this server did not write refuses the charge (409), not 500."""
    try:
        return settle(Fraction(text))
    except (ValueError, ZeroDivisionError):
        raise LedgerUnreadable(
            "the budget ledger holds a value this server cannot read; no query can be "
            "charged until an operator repairs it"
        ) from None


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


Span = tuple[int, int]
"""``(period_start, period_end)`` of one ledger row, in epoch seconds."""
LIFETIME: Span = (0, LIFETIME_END)


def _span(period: Period, at: datetime) -> Span:
    start, end = period.bounds(at)
    return _epoch(start), _epoch(end)


def _where(collaboration_id: str, span: Span) -> tuple[ColumnElement[bool], ...]:
    return (
        BudgetLedgerRow.collaboration_id == collaboration_id,
        BudgetLedgerRow.period_start == span[0],
        BudgetLedgerRow.period_end == span[1],
    )


def _stored(session: Session, collaboration_id: str, span: Span) -> Fraction | None:
    text = session.scalar(select(BudgetLedgerRow.spent).where(*_where(collaboration_id, span)))
    return None if text is None else _amount(text)


def _lifetime_spent(session: Session, collaboration_id: str) -> Fraction:
    """The lifetime row, or (before it exists) the sum of every period row."""
    stored = _stored(session, collaboration_id, LIFETIME)
    if stored is not None:
        return stored
    texts = session.scalars(
        select(BudgetLedgerRow.spent).where(BudgetLedgerRow.collaboration_id == collaboration_id)
    )
    return settle(sum((_amount(text) for text in texts), Fraction(0)))


def period_state(
    session: Session, collaboration_id: str, period: Period, at: datetime
) -> BudgetState:
    """What was spent in the period holding ``at`` and over the lifetime (read only)."""
    start, end = period.bounds(at)
    spent = _stored(session, collaboration_id, _span(period, at)) or Fraction(0)
    return BudgetState(spent, start, end, _lifetime_spent(session, collaboration_id))


def spent_delta(session: Session, collaboration_id: str) -> Fraction:
    """The delta that every spent-epsilon total of the collaboration holds at: the
    largest ``noise.delta`` among the policy versions its charged queries ran under, 0
    when all were pure DP. Sound for the period and the lifetime alike: the epsilon
    that rho-zCDP converts to falls as delta grows, so each Gaussian query's rho
    converts to at most its charged epsilon at the largest delta too, and the
    subadditivity argument of :mod:`policies.noise` then holds at that one delta."""
    ran_under = select(StoredResult.policy_hash).where(
        StoredResult.collaboration_id == collaboration_id
    )
    texts = session.scalars(
        select(PolicyVersion.text).where(
            PolicyVersion.collaboration_id == collaboration_id,
            PolicyVersion.policy_hash.in_(ran_under.distinct()),
        )
    )
    deltas = [parse_policy(text).noise.delta or Fraction(0) for text in texts]
    return max(deltas, default=Fraction(0))


def _ensure_row(
    session: Session, collaboration_id: str, span: Span, spent: Fraction = Fraction(0)
) -> None:
    row = {
        "collaboration_id": collaboration_id,
        "period_start": span[0],
        "period_end": span[1],
        "spent": fraction_text(spent),
        "version": 0,
        "updated_at": session_now(session),
    }
    insert_if_absent(
        session, BudgetLedgerRow, ["collaboration_id", "period_start", "period_end"], row
    )


def _update(session: Session, row: Any, spent: Fraction) -> bool:
    written = session.execute(
        update(BudgetLedgerRow)
        .where(BudgetLedgerRow.id == row.id, BudgetLedgerRow.version == row.version)
        .values(
            spent=fraction_text(spent), version=row.version + 1, updated_at=session_now(session)
        )
        .execution_options(synchronize_session=False)
    )
    return bool(written.rowcount == 1)  # type: ignore[attr-defined]  # CursorResult of an UPDATE


def charge(
    session: Session,
    collaboration_id: str,
    budget: Budget,
    at: datetime,
    epsilon: Fraction,
) -> BudgetState:
    """Spend ``epsilon`` in the period holding ``at`` and in the lifetime total; returns
    the state after the charge.

    Raises :class:`policies.BudgetExceeded` (plain words: what is needed, what is left,
    until when, or that the lifetime cap never refreshes) when it does not fit under
    ``budget.epsilon`` or ``budget.lifetime``. The caller commits or rolls back.
    """
    start, end = budget.period.bounds(at)
    span = _span(budget.period, at)
    _ensure_row(session, collaboration_id, span)
    _ensure_row(session, collaboration_id, LIFETIME, _lifetime_spent(session, collaboration_id))
    for _ in range(MAX_ATTEMPTS):
        rows = {
            (row.period_start, row.period_end): row
            for row in session.execute(
                select(
                    BudgetLedgerRow.id,
                    BudgetLedgerRow.period_start,
                    BudgetLedgerRow.period_end,
                    BudgetLedgerRow.spent,
                    BudgetLedgerRow.version,
                )
                .where(
                    BudgetLedgerRow.collaboration_id == collaboration_id,
                    BudgetLedgerRow.period_start.in_([span[0], 0]),
                    BudgetLedgerRow.period_end.in_([span[1], LIFETIME_END]),
                )
                .order_by(BudgetLedgerRow.id)
                .with_for_update()
            )
        }
        period_row, lifetime_row = rows[span], rows[LIFETIME]
        state = BudgetState(_amount(period_row.spent), start, end, _amount(lifetime_row.spent))
        after = policies.charge(budget.epsilon, state, epsilon, budget.lifetime)
        wrote_period = _update(session, period_row, after.spent)
        wrote_lifetime = _update(session, lifetime_row, after.lifetime_spent)
        if wrote_period and wrote_lifetime:
            return after
        if wrote_period or wrote_lifetime:
            raise InternalError("the budget ledger rows changed under one charge (a bug)")
    raise InternalError("the budget ledger row kept changing under this charge (a bug)")
