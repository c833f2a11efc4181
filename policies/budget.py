"""Exact privacy-budget arithmetic (pure; the server stores the state atomically).

The state of one budget is what was spent in the current refresh period and when
that period ends. Every operation is exact (:class:`fractions.Fraction`), and no
operation can make the remaining budget negative: :func:`charge` refuses instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction

from policies import checks
from policies.errors import BudgetExceeded
from policies.exact import human_number
from policies.periods import Period


@dataclass(frozen=True)
class BudgetState:
    """Epsilon spent in the period ``[period_start, period_end)``."""

    spent: Fraction
    period_start: datetime
    period_end: datetime

    def __post_init__(self) -> None:
        if not isinstance(self.spent, Fraction) or self.spent < 0:
            raise ValueError(f"spent must be an exact number of at least 0, got {self.spent!r}")
        for moment in (self.period_start, self.period_end):
            if moment.utcoffset() is None:
                raise ValueError("period boundaries must be timezone-aware (UTC)")
        if self.period_end <= self.period_start:
            raise ValueError("a period must end after it starts")


def fresh_state(period: Period, at: datetime) -> BudgetState:
    """Nothing spent yet, in the period that holds ``at``."""
    start, end = period.bounds(at)
    return BudgetState(Fraction(0), start, end)


def current_state(state: BudgetState | None, period: Period, at: datetime) -> BudgetState:
    """``state`` while ``at`` is inside its period; a fresh state once the period ended."""
    if state is None or not (state.period_start <= at < state.period_end):
        return fresh_state(period, at)
    return state


def remaining(limit: Fraction, state: BudgetState) -> Fraction:
    """Epsilon left in the period; never negative (a lowered limit leaves 0, not less)."""
    return max(Fraction(0), limit - state.spent)


def can_spend(limit: Fraction, state: BudgetState, epsilon: Fraction) -> bool:
    return 0 < epsilon <= remaining(limit, state)


def charge(limit: Fraction, state: BudgetState, epsilon: Fraction) -> BudgetState:
    """The state after spending ``epsilon``; raises :class:`BudgetExceeded` if it does not fit."""
    checks.positive(epsilon)
    if not can_spend(limit, state, epsilon):
        raise BudgetExceeded(
            f"this query needs epsilon {human_number(epsilon)}, "
            f"{human_number(remaining(limit, state))} is left until {until(state.period_end)}"
        )
    return BudgetState(state.spent + epsilon, state.period_start, state.period_end)


def until(moment: datetime) -> str:
    """``2026-12-01`` for a midnight UTC, ``2026-12-01 06:00 UTC`` otherwise."""
    moment = moment.astimezone(UTC)
    if (moment.hour, moment.minute, moment.second) == (0, 0, 0):
        return moment.date().isoformat()
    return moment.strftime("%Y-%m-%d %H:%M UTC")
