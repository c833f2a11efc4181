"""The release path: denials audited and free, repeats free, one charge per fresh release.

Concurrency is staged without threads: :func:`meanwhile` runs a competing action (a
ledger charge, an identical query) in its own session at the moment this query's engine
runs, which is when the path holds no transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import pytest
from sqlalchemy import select

import policies
from cleanroom.errors import BudgetExhausted, InternalError, QueryDenied
from cleanroom.query import ledger, service
from cleanroom.query.audit_entries import request_digest
from cleanroom.query.plan import Plan, plan_query
from cleanroom.query.request import QuerySubmission
from cleanroom.query.service import QueryContext, QueryOutcome, submit_query
from cleanroom.release import Result
from cleanroom.release import release as real_release
from cleanroom.storage.db import make_sessionmaker
from cleanroom.storage.models import AuditEntry
from cleanroom.storage.query_tables import BudgetLedgerRow, StoredResult
from tests.unit.cleanroom.query.queries import ask, stock
from tests.unit.cleanroom.room import NOW, Room

MONTHLY = policies.Period("monthly")
POLICY = "the collaboration policy `test` v1"


@pytest.fixture
def stocked(room: Room) -> Room:
    """Budget 1 per calendar month, 1/2 per query, brand and retailer receive results."""
    stock(room)
    return room


def submit(
    room: Room, submission: QuerySubmission | None = None, party: str = "brand"
) -> QueryOutcome:
    submission = submission or ask(requester=party)
    with room.session() as session:
        return submit_query(
            QueryContext(room.settings, room.clock),
            session,
            actor=room.actor(party),
            collaboration_id=room.id,
            submission=submission,
        )


def plan_of(room: Room, submission: QuerySubmission) -> Plan:
    with room.session() as session:
        return plan_query(session, room.id, submission, room.clock())


def spend(room: Room, epsilon: Fraction) -> None:
    """Another query's charge, committed on its own."""
    with room.session() as session:
        ledger.charge(session, room.id, policies.Budget(Fraction(1), MONTHLY), NOW, epsilon)
        session.commit()


def ledger_row(room: Room) -> tuple[str, int] | None:
    """(spent, version) of this month's ledger row; ``version`` counts the charges."""
    with room.session() as session:
        row = session.scalars(
            select(BudgetLedgerRow).where(
                BudgetLedgerRow.collaboration_id == room.id,
                BudgetLedgerRow.period_end != ledger.LIFETIME_END,
            )
        ).one_or_none()
        return None if row is None else (row.spent, row.version)


def results(room: Room) -> list[StoredResult]:
    with room.session() as session:
        query = select(StoredResult).where(StoredResult.collaboration_id == room.id)
        return list(session.scalars(query))


def query_entries(room: Room) -> list[AuditEntry]:
    with room.session() as session:
        query = select(AuditEntry).where(
            AuditEntry.collaboration_id == room.id, AuditEntry.action.startswith("query.")
        )
        return list(session.scalars(query.order_by(AuditEntry.seq)))


def sealed(entry: AuditEntry) -> dict[str, Any]:
    """The signed record of an entry (promoted fields included)."""
    record: dict[str, Any] = json.loads(entry.record_json)
    return record


def meanwhile(monkeypatch: pytest.MonkeyPatch, action: Callable[[], None]) -> list[str]:
    """Run ``action`` once, just before the engine of the next query runs."""
    ran: list[str] = []

    def release(*args: Any, **kwargs: Any) -> Result:
        if not ran:
            ran.append("meanwhile")
            action()
        return real_release(*args, **kwargs)

    monkeypatch.setattr(service, "release", release)
    return ran


def test_a_fresh_release_charges_once_and_stores_result_and_audit_entry(stocked: Room) -> None:
    plan = plan_of(stocked, ask())
    outcome = submit(stocked)
    assert (outcome.reused, outcome.charged) == (False, Fraction(1, 2))
    assert outcome.budget.limits == policies.Budget(Fraction(1), MONTHLY)
    assert outcome.budget.state.lifetime_spent == Fraction(1, 2)
    assert outcome.budget.state.spent == Fraction(1, 2)
    assert ledger_row(stocked) == ("1/2", 1)
    [stored] = results(stocked)
    assert stored.id == outcome.stored.id
    assert (stored.request_key, stored.request) == (plan.key, plan.canonical)
    assert (stored.policy_hash, stored.effective_policy_hash) == (
        plan.policy_hash,
        plan.effective_hash,
    )
    assert (stored.requested_by, stored.epsilon) == (stocked.actor("brand"), "1/2")
    assert (stored.receivers, stored.digest) == (["brand", "retailer"], stored.body["digest"])
    [entry] = query_entries(stocked)
    record = sealed(entry)
    assert (entry.action, entry.actor) == ("query.granted", stocked.actor("brand"))
    assert {k: record[k] for k in ("outcome", "epsilon_charged", "budget_left")} == {
        "outcome": "granted",
        "epsilon_charged": "1/2",
        "budget_left": "1/2",
    }
    assert (record["result_digest"], record["rows_suppressed"]) == (
        stored.digest,
        stored.rows_suppressed,
    )
    assert (record["request_digest"], record["policy_hash"]) == (
        request_digest(plan),
        plan.policy_hash,
    )
    assert record["details"]["result_id"] == stored.id


def test_nothing_is_charged_or_stored_unless_the_audit_entry_commits_with_them(
    stocked: Room,
) -> None:
    unsealed = make_sessionmaker(stocked.storage.engine, info={"clock": stocked.clock})
    with unsealed() as session, pytest.raises(InternalError) as failed:
        submit_query(
            QueryContext(stocked.settings, stocked.clock),
            session,
            actor=stocked.actor("brand"),
            collaboration_id=stocked.id,
            submission=ask(),
        )
    assert str(failed.value) == "the session has no server signing key to seal audit entries"
    assert (ledger_row(stocked), results(stocked), query_entries(stocked)) == (None, [], [])


@pytest.mark.parametrize(
    ("submission", "codes", "reasons"),
    [
        (
            ask(requester="ana"),
            ["not_a_receiver"],
            [f"`ana` may not receive results under {POLICY}"],
        ),
        (
            ask(window="60d", epsilon="2"),
            ["window_too_long", "epsilon_not_allowed"],
            [
                f"window 60d exceeds the maximum of 30d set by {POLICY}",
                f"epsilon 2 is not an allowed value; choose one of 0.25, 0.5 (set by {POLICY})",
            ],
        ),
    ],
    ids=["one reason", "every reason"],
)
def test_a_denial_is_audited_and_charges_nothing(
    stocked: Room, submission: QuerySubmission, codes: list[str], reasons: list[str]
) -> None:
    with pytest.raises(QueryDenied) as denied:
        submit(stocked, submission, party="ana")
    assert str(denied.value) == "; ".join(reasons)
    assert denied.value.extra["reasons"] == reasons
    [entry] = query_entries(stocked)
    record = sealed(entry)
    assert (entry.action, entry.actor, record["outcome"]) == (
        "query.denied",
        stocked.actor("ana"),
        "denied",
    )
    assert (record["details"]["codes"], record["details"]["reasons"]) == (codes, reasons)
    assert record["epsilon_charged"] is None
    assert (ledger_row(stocked), results(stocked)) == (None, [])


def test_a_stored_result_is_not_served_to_a_party_the_policy_refuses(stocked: Room) -> None:
    submit(stocked)
    with pytest.raises(QueryDenied):
        submit(stocked, ask(requester="ana"), party="ana")
    assert [e.action for e in query_entries(stocked)] == ["query.granted", "query.denied"]
    assert ledger_row(stocked) == ("1/2", 1)


def test_an_identical_repeat_is_free_even_when_the_budget_is_spent(stocked: Room) -> None:
    first = submit(stocked)
    spend(stocked, Fraction(1, 2))
    again = submit(stocked, party="retailer")
    assert (again.reused, again.charged, again.stored.id) == (True, Fraction(0), first.stored.id)
    assert again.budget.state.spent == 1
    assert ledger_row(stocked) == ("1/1", 2)
    assert [r.id for r in results(stocked)] == [first.stored.id]
    entry = query_entries(stocked)[-1]
    record = sealed(entry)
    assert (entry.action, entry.actor) == ("query.repeat", stocked.actor("retailer"))
    assert (record["outcome"], record["epsilon_charged"], record["budget_left"]) == (
        "repeat",
        "0/1",
        None,
    )
    assert (record["details"]["result_id"], record["result_digest"]) == (
        first.stored.id,
        first.stored.digest,
    )


def test_a_new_question_on_a_spent_budget_is_refused_and_audited(stocked: Room) -> None:
    spend(stocked, Fraction(3, 4))
    with pytest.raises(BudgetExhausted) as refused:
        submit(stocked)
    message = (
        "this query needs epsilon 0.5, 0.25 is left until 2026-12-01 "
        f"(budget of 1 per calendar month set by {POLICY})"
    )
    assert str(refused.value) == message
    [entry] = query_entries(stocked)
    assert (entry.action, entry.details["codes"]) == ("query.denied", ["budget_exhausted"])
    assert (ledger_row(stocked), results(stocked)) == (("3/4", 1), [])


def test_a_late_budget_refusal_is_audited_as_a_denial(
    stocked: Room, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran = meanwhile(monkeypatch, lambda: spend(stocked, Fraction(3, 4)))
    with pytest.raises(BudgetExhausted) as refused:
        submit(stocked)
    assert ran == ["meanwhile"]
    message = (
        "this query needs epsilon 0.5, 0.25 is left until 2026-12-01 "
        f"(budget of 1 per calendar month set by {POLICY})"
    )
    assert str(refused.value) == message
    [entry] = query_entries(stocked)
    record = sealed(entry)
    assert (entry.action, record["outcome"]) == ("query.denied", "denied")
    assert (record["details"]["codes"], record["details"]["reasons"]) == (
        ["budget_exhausted"],
        [message],
    )
    assert (ledger_row(stocked), results(stocked)) == (("3/4", 1), [])


def test_a_lost_race_returns_the_other_stored_result_and_charges_nothing(
    stocked: Room, monkeypatch: pytest.MonkeyPatch
) -> None:
    winner: list[QueryOutcome] = []
    meanwhile(monkeypatch, lambda: winner.append(submit(stocked, party="retailer")))
    outcome = submit(stocked)
    [other] = winner
    assert (other.reused, other.charged) == (False, Fraction(1, 2))
    assert (outcome.reused, outcome.charged, outcome.stored.id) == (
        True,
        Fraction(0),
        other.stored.id,
    )
    assert outcome.budget.state.spent == Fraction(1, 2)  # the winner's charge, read afresh
    assert outcome.stored.digest == other.stored.digest
    assert ledger_row(stocked) == ("1/2", 1)
    assert [r.id for r in results(stocked)] == [other.stored.id]
    entries = query_entries(stocked)
    assert [(e.action, e.actor) for e in entries] == [
        ("query.granted", stocked.actor("retailer")),
        ("query.repeat", stocked.actor("brand")),
    ]
    assert sealed(entries[1])["epsilon_charged"] == "0/1"


def test_a_ledger_refusal_the_policy_does_not_explain_is_a_bug(
    stocked: Room, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_: Any) -> policies.BudgetState:
        raise policies.BudgetExceeded("refused (injected)")

    monkeypatch.setattr(ledger, "charge", refuse)
    with pytest.raises(InternalError) as failed:
        submit(stocked)
    assert str(failed.value) == "the ledger refused a charge that the policy allows (a bug)"
    assert (results(stocked), query_entries(stocked)) == ([], [])


MARKER = "jane.doe@example.com"


@pytest.mark.parametrize(
    "submission",
    [
        ask(dimensions=[MARKER]),
        ask(requester="jane.doe.example"),
        ask(dimensions=[MARKER], window="60d"),
    ],
    ids=["unknown dimension", "unknown receiver", "with another reason"],
)
def test_a_denied_entry_never_holds_a_value_the_policy_does_not_define(
    stocked: Room, submission: QuerySubmission
) -> None:
    with pytest.raises(QueryDenied):
        submit(stocked, submission, party="brand")
    [entry] = query_entries(stocked)
    assert entry.action == "query.denied"
    assert MARKER not in entry.record_json and "jane" not in entry.record_json
    record = sealed(entry)
    assert "(submitted value)" in json.dumps(record["details"]["request"])
    assert all("(submitted value)" in r or "window" in r for r in record["details"]["reasons"])
    assert record["details"]["codes"]


def test_a_denied_entry_keeps_the_values_the_policy_defines(stocked: Room) -> None:
    with pytest.raises(QueryDenied):
        submit(stocked, ask(window="60d", epsilon="2"))
    record = sealed(query_entries(stocked)[0])
    assert record["details"]["request"]["window"] == "60d"
    assert record["details"]["request"]["requester"] == "brand"
    assert record["details"]["reasons"][0].startswith("window 60d exceeds")
