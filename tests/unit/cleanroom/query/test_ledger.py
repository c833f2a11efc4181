"""The budget ledger: exact, never negative, one row per period, atomic across threads."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cleanroom.query import ledger
from cleanroom.settings import Settings
from cleanroom.storage.db import make_engine, make_sessionmaker
from cleanroom.storage.models import Collaboration
from cleanroom.storage.query_tables import BudgetLedgerRow
from cleanroom.storage.schema import require_current
from policies import BudgetExceeded, Period

MONTHLY = Period("monthly")
AT = datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC)


@pytest.fixture(scope="module")
def maker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(Settings(data_dir=tmp_path_factory.mktemp("ledger")))
    require_current(engine)
    yield make_sessionmaker(engine)
    engine.dispose()


def collaboration(maker: sessionmaker[Session]) -> str:
    with maker() as session:
        row = Collaboration(id=f"col_{secrets.token_hex(8)}", name="ledger test")
        session.add(row)
        session.commit()
        return row.id


def charge(
    maker: sessionmaker[Session], cid: str, limit: str, eps: str, at: datetime = AT
) -> Fraction:
    with maker() as session:
        state = ledger.charge(session, cid, Fraction(limit), MONTHLY, at, Fraction(eps))
        session.commit()
        return state.spent


def test_charges_add_up_exactly_and_refuse_in_plain_words(maker: sessionmaker[Session]) -> None:
    cid = collaboration(maker)
    assert [charge(maker, cid, "1", "1/3") for _ in range(3)] == [
        Fraction(1, 3), Fraction(2, 3), Fraction(1)
    ]  # fmt: skip
    with pytest.raises(BudgetExceeded) as refused:
        charge(maker, cid, "1", "1/10")
    assert str(refused.value) == "this query needs epsilon 0.1, 0 is left until 2026-12-01"
    with maker() as session:
        assert ledger.period_state(session, cid, MONTHLY, AT).spent == 1


def test_a_refused_charge_leaves_the_row_unchanged(maker: sessionmaker[Session]) -> None:
    cid = collaboration(maker)
    charge(maker, cid, "1/2", "1/4")
    with pytest.raises(BudgetExceeded):
        charge(maker, cid, "1/2", "1/3")
    with maker() as session:
        row = session.scalars(
            select(BudgetLedgerRow).where(BudgetLedgerRow.collaboration_id == cid)
        ).one()
    assert (row.spent, row.version) == ("1/4", 1)


def test_each_period_has_its_own_row(maker: sessionmaker[Session]) -> None:
    cid = collaboration(maker)
    charge(maker, cid, "1", "1")
    december = datetime(2026, 12, 1, tzinfo=UTC)
    assert charge(maker, cid, "1", "1/2", at=december) == Fraction(1, 2)
    with maker() as session:
        assert ledger.period_state(session, cid, MONTHLY, AT).spent == 1
        later = ledger.period_state(session, cid, MONTHLY, december)
    assert (later.period_start, later.period_end.month) == (december, 1)


def test_parallel_charges_never_overspend(maker: sessionmaker[Session]) -> None:
    cid = collaboration(maker)

    def attempt(_: int) -> bool:
        try:
            charge(maker, cid, "1", "1/10")
        except BudgetExceeded:
            return False
        return True

    with ThreadPoolExecutor(16) as pool:
        granted = list(pool.map(attempt, range(40)))
    assert granted.count(True) == 10
    with maker() as session:
        assert ledger.period_state(session, cid, MONTHLY, AT).spent == 1


@settings(max_examples=25, deadline=None)
@given(
    limit=st.fractions(min_value=Fraction(1, 10), max_value=5, max_denominator=50),
    asks=st.lists(
        st.fractions(min_value=Fraction(1, 30), max_value=2, max_denominator=30), max_size=12
    ),
)
def test_spent_is_the_exact_sum_of_accepted_charges_and_never_above_the_limit(
    maker: sessionmaker[Session], limit: Fraction, asks: list[Fraction]
) -> None:
    cid = collaboration(maker)
    accepted = Fraction(0)
    for eps in asks:
        try:
            charge(maker, cid, str(limit), str(eps))
        except BudgetExceeded:
            assert accepted + eps > limit
        else:
            accepted += eps
        assert accepted <= limit
    with maker() as session:
        assert ledger.period_state(session, cid, MONTHLY, AT).spent == accepted


def test_period_state_is_zero_before_any_charge(maker: sessionmaker[Session]) -> None:
    with maker() as session:
        state = ledger.period_state(session, "col_none", MONTHLY, AT)
    assert (state.spent, state.period_start) == (0, datetime(2026, 11, 1, tzinfo=UTC))
