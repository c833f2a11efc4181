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
from cleanroom.storage.models import Collaboration, PolicyVersion
from cleanroom.storage.query_tables import BudgetLedgerRow, StoredResult
from cleanroom.storage.schema import require_current
from policies import Budget, BudgetExceeded, Period
from policies.files import preset_yaml

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
    maker: sessionmaker[Session],
    cid: str,
    limit: str,
    eps: str,
    at: datetime = AT,
    lifetime: str | None = None,
) -> Fraction:
    budget = Budget(Fraction(limit), MONTHLY, None if lifetime is None else Fraction(lifetime))
    with maker() as session:
        state = ledger.charge(session, cid, budget, at, Fraction(eps))
        session.commit()
        return state.spent


def period_rows(maker: sessionmaker[Session], cid: str) -> list[BudgetLedgerRow]:
    with maker() as session:
        query = select(BudgetLedgerRow).where(
            BudgetLedgerRow.collaboration_id == cid,
            BudgetLedgerRow.period_end != ledger.LIFETIME_END,
        )
        return list(session.scalars(query))


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
    [row] = period_rows(maker, cid)
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


def test_parallel_charges_across_two_periods_never_overspend_the_lifetime(
    maker: sessionmaker[Session],
) -> None:
    cid = collaboration(maker)
    december = datetime(2026, 12, 1, tzinfo=UTC)

    def attempt(i: int) -> bool:
        try:
            charge(maker, cid, "1", "1/10", at=AT if i % 2 else december, lifetime="3/2")
        except BudgetExceeded:
            return False
        return True

    with ThreadPoolExecutor(16) as pool:
        granted = list(pool.map(attempt, range(40)))
    assert granted.count(True) == 15
    with maker() as session:
        assert ledger.period_state(session, cid, MONTHLY, AT).lifetime_spent == Fraction(3, 2)


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


def test_the_lifetime_row_sums_every_period_and_caps_them(maker: sessionmaker[Session]) -> None:
    cid = collaboration(maker)
    months = [datetime(2027, month, 2, tzinfo=UTC) for month in range(1, 13)]
    granted = []
    for at in months:
        try:
            granted.append(charge(maker, cid, "1", "1", at=at, lifetime="5"))
        except BudgetExceeded as refused:
            assert str(refused) == (
                "this query needs epsilon 1, 0 is left of the lifetime cap of 5, "
                "which never refreshes"
            )
    assert len(granted) == 5
    with maker() as session:
        state = ledger.period_state(session, cid, MONTHLY, months[-1])
    assert (state.spent, state.lifetime_spent) == (0, 5)
    assert len(period_rows(maker, cid)) == 5


def test_an_older_database_starts_the_lifetime_at_the_sum_of_its_periods(
    maker: sessionmaker[Session],
) -> None:
    cid = collaboration(maker)
    with maker() as session:
        for month, spent in ((9, "3/4"), (10, "1/2")):
            start = int(datetime(2026, month, 1, tzinfo=UTC).timestamp())
            end = int(datetime(2026, month + 1, 1, tzinfo=UTC).timestamp())
            session.add(BudgetLedgerRow(
                collaboration_id=cid, period_start=start, period_end=end, spent=spent, version=1
            ))  # fmt: skip
        session.commit()
        assert ledger.period_state(session, cid, MONTHLY, AT).lifetime_spent == Fraction(5, 4)
    with pytest.raises(BudgetExceeded):
        charge(maker, cid, "1", "1", lifetime="2")
    assert charge(maker, cid, "1", "3/4", lifetime="2") == Fraction(3, 4)
    with maker() as session:
        assert ledger.period_state(session, cid, MONTHLY, AT).lifetime_spent == 2


def test_thousands_of_charges_keep_exact_short_totals(maker: sessionmaker[Session]) -> None:
    cid = collaboration(maker)
    choices = [Fraction(1, 3), Fraction(1, 7), Fraction(1, 10), Fraction(2, 9), Fraction(1, 11)]
    expected = Fraction(0)
    budget = Budget(Fraction(10**6), MONTHLY, Fraction(10**6))
    with maker() as session:
        for i in range(2_000):
            eps = choices[i % len(choices)]
            ledger.charge(session, cid, budget, AT, eps)
            expected += eps
        session.commit()
        stored = ledger.period_state(session, cid, MONTHLY, AT)
    assert stored.spent == stored.lifetime_spent == expected
    assert all(len(row.spent) < 40 for row in period_rows(maker, cid))


def test_a_huge_legacy_total_is_rounded_up_not_a_crash(maker: sessionmaker[Session]) -> None:
    cid = collaboration(maker)
    primes = [1_000_003, 1_000_033, 1_000_037, 1_000_039]
    huge = sum((Fraction(1, p**170) for p in primes), Fraction(0))
    assert 4_000 < len(str(huge.denominator)) < 4_300  # what the old ledger could reach
    start, end = (int(t.timestamp()) for t in MONTHLY.bounds(AT))
    with maker() as session:
        session.add(BudgetLedgerRow(
            collaboration_id=cid, period_start=start, period_end=end,
            spent=f"{huge.numerator}/{huge.denominator}", version=1,
        ))  # fmt: skip
        session.commit()
    assert charge(maker, cid, "5", "1/2") >= Fraction(1, 2) + huge
    [row] = period_rows(maker, cid)
    assert len(row.spent) < 80


def test_text_this_server_did_not_write_refuses_with_409(maker: sessionmaker[Session]) -> None:
    cid = collaboration(maker)
    start, end = (int(t.timestamp()) for t in MONTHLY.bounds(AT))
    with maker() as session:
        session.add(BudgetLedgerRow(
            collaboration_id=cid, period_start=start, period_end=end, spent="lots", version=1
        ))  # fmt: skip
        session.commit()
    with pytest.raises(ledger.LedgerUnreadable) as refused:
        charge(maker, cid, "5", "1/2")
    assert refused.value.status == 409


def test_unusual_epsilons_that_broke_the_old_ledger_stay_short(
    maker: sessionmaker[Session],
) -> None:
    """800 charges of 1/p for distinct primes p: exactly, the denominator would pass
    Python's 4,300-digit limit (the old ledger then answered 500); settled, it stays short
    and only ever overstates what was spent."""
    primes = [p for p in range(1_000_003, 1_030_000, 2) if all(p % d for d in range(3, 1_020, 2))]
    cid, budget = collaboration(maker), Budget(Fraction(10), MONTHLY)
    with maker() as session:
        for p in primes[:800]:
            ledger.charge(session, cid, budget, AT, Fraction(1, p))
        session.commit()
        spent = ledger.period_state(session, cid, MONTHLY, AT).spent
    exact = sum((Fraction(1, p) for p in primes[:800]), Fraction(0))
    assert exact.denominator.bit_length() > 4_300 * 3.32  # over the int-to-text limit
    assert exact <= spent <= exact + Fraction(800, 10**30)
    assert all(len(row.spent) < 80 for row in period_rows(maker, cid))


def test_the_spent_delta_is_the_largest_of_the_policy_versions_queries_ran_under(
    maker: sessionmaker[Session],
) -> None:
    cid = collaboration(maker)
    texts = {
        "laplace": preset_yaml("standard"),
        "loose": preset_yaml("standard") + "noise: {mechanism: gaussian, delta: 1e-7}\n",
        "tight": preset_yaml("standard") + "noise: {mechanism: gaussian, delta: 1e-9}\n",
        "unused": preset_yaml("standard") + "noise: {mechanism: gaussian, delta: 1e-6}\n",
    }
    with maker() as session:
        for seq, (name, text) in enumerate(texts.items(), 1):
            session.add(
                PolicyVersion(
                    collaboration_id=cid, seq=seq, policy_hash=name, text=text, proposed_by="a"
                )
            )
        session.commit()
        seen = []
        for name in ("laplace", "tight", "loose", "tight"):
            session.add(_stored(cid, name))
            session.commit()
            seen.append(ledger.spent_delta(session, cid))
    # no query yet is delta 0; a version no query ran under (1e-6) never counts
    assert seen == [0, Fraction(1, 10**9), Fraction(1, 10**7), Fraction(1, 10**7)]


def _stored(cid: str, policy_hash: str) -> StoredResult:
    return StoredResult(
        id=f"res_{secrets.token_hex(8)}",
        collaboration_id=cid,
        request_key=secrets.token_hex(8),
        template="overlap",
        request={},
        datasets=[],
        policy_hash=policy_hash,
        effective_policy_hash=policy_hash,
        receivers=[],
        requested_by="ana",
        epsilon="1/4",
        rows_suppressed=0,
        digest="0" * 64,
        body={},
    )
