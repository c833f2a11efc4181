"""The budget ledger never goes negative, adds up exactly while totals stay small, and
otherwise only ever rounds what was spent up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from policies import BudgetExceeded, Period, can_spend, charge, fresh_state, remaining
from policies.budget import MAX_DENOMINATOR
from tests.unit.policies.strategies import epsilons, periods

moments = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@given(epsilons, st.lists(epsilons, max_size=40))
def test_charges_never_overspend_and_add_up_exactly(limit: Fraction, asks: list[Fraction]) -> None:
    state = fresh_state(Period("monthly"), datetime(2026, 11, 23, tzinfo=UTC))
    accepted: list[Fraction] = []
    rounded = False
    for ask in asks:
        fits = can_spend(limit, state, ask)
        try:
            state = charge(limit, state, ask)
            accepted.append(ask)
        except BudgetExceeded:
            assert not fits
        else:
            assert fits
        assert remaining(limit, state) >= 0
        exact = sum(accepted, Fraction(0))
        rounded = rounded or exact.denominator > MAX_DENOMINATOR
        if not rounded:  # every sum the allowed epsilons can reach
            assert state.spent == exact
            assert state.spent + remaining(limit, state) == limit
        else:  # settled: rounded up, never below what was spent
            assert exact <= state.spent <= exact + Fraction(len(accepted), MAX_DENOMINATOR)


@given(periods, moments)
def test_every_moment_lies_in_exactly_one_period(period: Period, at: datetime) -> None:
    start, end = period.bounds(at)
    assert start <= at < end
    assert start.tzinfo is UTC and end.tzinfo is UTC
    assert period.bounds(start) == (start, end)
    assert period.bounds(end)[0] == end
    assert period.bounds(start - timedelta(microseconds=1))[1] == start
    low, high = period.length_range()
    assert low <= (end - start).total_seconds() <= high
