"""Exact privacy-budget arithmetic (pure; the server stores the state atomically).

The state of one budget is what was spent in the current refresh period, when that
period ends, and what was spent over the whole lifetime (every period together). Every
operation is exact (:class:`fractions.Fraction`), and no operation can make a remaining
budget negative: :func:`charge` refuses instead.

Sums stay small: allowed epsilons are few and simple (:func:`policies.checks.epsilon_choices`),
so a total's denominator divides the least common multiple of theirs. Should a total
ever need a denominator above :data:`MAX_DENOMINATOR` (a ledger written by an older
version, or many policy versions with unrelated choices), :func:`settle` rounds it *up*
to the next multiple of ``1/MAX_DENOMINATOR``: it may only overstate what was spent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction

from policies import checks
from policies.errors import BudgetExceeded
from policies.exact import human_number
from policies.periods import Period

MAX_DENOMINATOR = 10**30


def settle(spent: Fraction) -> Fraction:
    """``spent`` itself, or rounded up to a multiple of ``1/MAX_DENOMINATOR`` if finer."""
    if spent.denominator <= MAX_DENOMINATOR:
        return spent
    return Fraction(math.ceil(spent * MAX_DENOMINATOR), MAX_DENOMINATOR)


@dataclass(frozen=True)
class BudgetState:
    """Epsilon spent in the period ``[period_start, period_end)`` and over the lifetime
    (``lifetime_spent`` includes ``spent``)."""

    spent: Fraction
    period_start: datetime
    period_end: datetime
    lifetime_spent: Fraction = Fraction(0)

    def __post_init__(self) -> None:
        for name in ("spent", "lifetime_spent"):
            value = getattr(self, name)
            if not isinstance(value, Fraction) or value < 0:
                raise ValueError(f"{name} must be an exact number of at least 0, got {value!r}")
            object.__setattr__(self, name, settle(value))
        for moment in (self.period_start, self.period_end):
            if moment.utcoffset() is None:
                raise ValueError("period boundaries must be timezone-aware (UTC)")
        if self.period_end <= self.period_start:
            raise ValueError("a period must end after it starts")


def fresh_state(
    period: Period, at: datetime, lifetime_spent: Fraction = Fraction(0)
) -> BudgetState:
    """Nothing spent yet in the period that holds ``at`` (the lifetime total carries on)."""
    start, end = period.bounds(at)
    return BudgetState(Fraction(0), start, end, lifetime_spent)


def current_state(state: BudgetState | None, period: Period, at: datetime) -> BudgetState:
    """``state`` while ``at`` is inside its period; a fresh period once it ended."""
    if state is None:
        return fresh_state(period, at)
    if not (state.period_start <= at < state.period_end):
        return fresh_state(period, at, state.lifetime_spent)
    return state


def remaining(limit: Fraction, state: BudgetState) -> Fraction:
    """Epsilon left in the period; never negative (a lowered limit leaves 0, not less)."""
    return max(Fraction(0), limit - state.spent)


def lifetime_remaining(cap: Fraction | None, state: BudgetState) -> Fraction | None:
    """Epsilon left under the lifetime cap (``None``: no cap); never negative."""
    return None if cap is None else max(Fraction(0), cap - state.lifetime_spent)


def can_spend(
    limit: Fraction, state: BudgetState, epsilon: Fraction, lifetime: Fraction | None = None
) -> bool:
    left = lifetime_remaining(lifetime, state)
    return 0 < epsilon <= remaining(limit, state) and (left is None or epsilon <= left)


def charge(
    limit: Fraction, state: BudgetState, epsilon: Fraction, lifetime: Fraction | None = None
) -> BudgetState:
    """The state after spending ``epsilon`` under the period ``limit`` and the ``lifetime``
    cap; raises :class:`BudgetExceeded` if it does not fit under both."""
    checks.positive(epsilon)
    if not can_spend(limit, state, epsilon, lifetime):
        left = lifetime_remaining(lifetime, state)
        if left is not None and epsilon > left:
            raise BudgetExceeded(
                f"this query needs epsilon {human_number(epsilon)}, {human_number(left)} is "
                f"left of the lifetime cap of {human_number(lifetime or Fraction(0))}, "
                "which never refreshes"
            )
        raise BudgetExceeded(
            f"this query needs epsilon {human_number(epsilon)}, "
            f"{human_number(remaining(limit, state))} is left until {until(state.period_end)}"
        )
    return BudgetState(
        state.spent + epsilon,
        state.period_start,
        state.period_end,
        state.lifetime_spent + epsilon,
    )


def until(moment: datetime) -> str:
    """``2026-12-01`` for a midnight UTC, ``2026-12-01 06:00 UTC`` otherwise."""
    moment = moment.astimezone(UTC)
    if (moment.hour, moment.minute, moment.second) == (0, 0, 0):
        return moment.date().isoformat()
    return moment.strftime("%Y-%m-%d %H:%M UTC")
