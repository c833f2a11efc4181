"""The budget ledger's arithmetic: exact, never negative."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction

import pytest

from policies import (
    BudgetExceeded,
    BudgetState,
    Period,
    can_spend,
    charge,
    current_state,
    fresh_state,
    lifetime_remaining,
    remaining,
    settle,
)
from policies.budget import MAX_DENOMINATOR
from tests.unit.policies.helpers import NOV_23

MONTHLY = Period("monthly")
LIMIT = Fraction(1)


def test_tenths_add_up_exactly() -> None:
    state = fresh_state(MONTHLY, NOV_23)
    for _ in range(10):
        state = charge(LIMIT, state, Fraction(1, 10))
    assert state.spent == 1
    assert remaining(LIMIT, state) == 0
    assert not can_spend(LIMIT, state, Fraction(1, 10**9))


def test_a_charge_that_does_not_fit_is_refused_in_words() -> None:
    state = charge(LIMIT, fresh_state(MONTHLY, NOV_23), Fraction(4, 5))
    with pytest.raises(BudgetExceeded) as caught:
        charge(LIMIT, state, Fraction(1, 2))
    assert str(caught.value) == "this query needs epsilon 0.5, 0.2 is left until 2026-12-01"


def test_zero_or_negative_charges_are_refused() -> None:
    state = fresh_state(MONTHLY, NOV_23)
    with pytest.raises(ValueError, match=r"^must be greater than 0, got -1$"):
        charge(LIMIT, state, Fraction(-1))
    assert not can_spend(LIMIT, state, Fraction(0))


def test_a_lowered_limit_leaves_zero_not_less() -> None:
    state = BudgetState(Fraction(3), *MONTHLY.bounds(NOV_23))
    assert remaining(Fraction(2), state) == 0


def test_a_new_period_starts_fresh() -> None:
    state = charge(LIMIT, fresh_state(MONTHLY, NOV_23), Fraction(1))
    assert current_state(state, MONTHLY, NOV_23) is state
    december = datetime(2026, 12, 1, tzinfo=UTC)
    renewed = current_state(state, MONTHLY, december)
    assert renewed.spent == 0
    assert (renewed.period_start, renewed.period_end) == MONTHLY.bounds(december)
    assert current_state(None, MONTHLY, NOV_23) == fresh_state(MONTHLY, NOV_23)


def test_states_check_themselves() -> None:
    start, end = MONTHLY.bounds(NOV_23)
    with pytest.raises(ValueError, match="spent must be an exact number of at least 0"):
        BudgetState(Fraction(-1), start, end)
    with pytest.raises(ValueError, match="a period must end after it starts"):
        BudgetState(Fraction(0), end, start)
    with pytest.raises(ValueError, match="timezone-aware"):
        BudgetState(Fraction(0), start.replace(tzinfo=None), end)


def test_an_end_that_is_not_midnight_shows_the_time() -> None:
    state = fresh_state(Period("12h"), NOV_23)
    with pytest.raises(BudgetExceeded, match=r"left until 2026-11-24$"):
        charge(LIMIT, state, Fraction(2))
    state = fresh_state(Period("12h"), datetime(2026, 11, 23, 1, tzinfo=UTC))
    with pytest.raises(BudgetExceeded, match=r"1 is left until 2026-11-23 12:00 UTC$"):
        charge(LIMIT, state, Fraction(2))


def test_the_lifetime_total_carries_across_periods_and_caps_them() -> None:
    state = fresh_state(MONTHLY, NOV_23)
    for _ in range(2):
        state = charge(LIMIT, state, Fraction(1), lifetime=Fraction(5, 2))
        state = current_state(state, MONTHLY, state.period_end)
    assert (state.spent, state.lifetime_spent) == (0, 2)
    assert lifetime_remaining(Fraction(5, 2), state) == Fraction(1, 2)
    assert lifetime_remaining(None, state) is None
    with pytest.raises(BudgetExceeded) as caught:
        charge(LIMIT, state, Fraction(1), lifetime=Fraction(5, 2))
    assert str(caught.value) == (
        "this query needs epsilon 1, 0.5 is left of the lifetime cap of 2.5, which never refreshes"
    )


def test_settle_keeps_small_sums_exact_and_rounds_huge_ones_up() -> None:
    assert settle(Fraction(7, 12)) == Fraction(7, 12)
    huge = sum((Fraction(1, p) for p in (10**40 + 1, 10**41 + 3)), Fraction(0))
    rounded = settle(huge)
    assert rounded >= huge and rounded.denominator <= MAX_DENOMINATOR
    assert rounded - huge < Fraction(1, MAX_DENOMINATOR)
    state = BudgetState(huge, *MONTHLY.bounds(NOV_23), lifetime_spent=huge)
    assert state.spent == rounded and len(f"{state.spent}") < 80
