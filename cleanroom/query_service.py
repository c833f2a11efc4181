"""The one release path every query takes on the server.

    authorize -> plan (datasets, effective policy = base + every reading party's rules,
    evaluate against the current period's budget) -> denied other than by the budget?
    audit ``query.denied``, 403 -> stored result for the identical request? audit
    ``query.repeat``, return it, free (even with the budget spent) -> denied by the
    budget? audit ``query.denied``, 409
    -> release() (engine + OpenDP + thresholds + intervals; charges nothing, holds no lock)
    -> ONE transaction: charge the ledger (atomic, exact), store the result with the dataset
       versions it read, audit ``query.granted`` -> commit -> respond.

If the charge no longer fits (a concurrent query spent the budget meanwhile) the fresh
result is discarded unseen and the denial is audited; if a concurrent identical query
stored its result first, that one is returned and this transaction charges nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any, NoReturn

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import policies
from cleanroom import ledger
from cleanroom.auth import Principal, Role, new_id
from cleanroom.errors import Forbidden, InternalError
from cleanroom.models_query import StoredResult
from cleanroom.query_audit import audit_query
from cleanroom.query_plan import Plan, plan_query
from cleanroom.query_schemas import BudgetExhausted, QueryCreate, budget_public, denial_error
from cleanroom.release import EngineSettings, Result, release
from cleanroom.settings import Settings
from policies import BudgetState, fraction_text


@dataclass(frozen=True)
class QueryContext:
    """What the release path needs from the running app (``now`` is injectable by tests)."""

    settings: Settings
    now: Callable[[], datetime]

    def engine_settings(self) -> EngineSettings:
        return EngineSettings(temp_directory=self.settings.tmp_dir / "duckdb")


@dataclass(frozen=True)
class Outcome:
    stored: StoredResult
    reused: bool
    charged: Fraction
    budget: dict[str, Any]


def requester_of(principal: Principal, receiver: str | None) -> str:
    """The party a result is for: a party_admin asks for itself; an analyst may name one."""
    principal.require(Role.ANALYST, Role.PARTY_ADMIN)
    party = principal.party or ""
    if receiver is None or receiver == party:
        return party
    if principal.role is not Role.ANALYST:
        raise Forbidden("a party_admin may only request results for its own party")
    return receiver


def _budget(collaboration_id: str, plan: Plan, state: BudgetState) -> dict[str, Any]:
    budget = plan.effective.budget
    return budget_public(collaboration_id, budget.epsilon, budget.period, state)


def _find(session: Session, collaboration_id: str, key: str) -> StoredResult | None:
    return session.scalar(
        select(StoredResult).where(
            StoredResult.collaboration_id == collaboration_id, StoredResult.request_key == key
        )
    )


def _deny_with(
    session: Session,
    actor: str,
    collaboration_id: str,
    plan: Plan,
    reasons: list[str],
    codes: list[str],
) -> None:
    session.rollback()
    audit_query(
        session,
        actor,
        "query.denied",
        collaboration_id,
        plan,
        outcome="denied",
        reasons=reasons,
        codes=codes,
    )
    session.commit()


def _deny(
    session: Session, actor: str, collaboration_id: str, plan: Plan, decision: policies.Decision
) -> NoReturn:
    codes = [denial.code for denial in decision.denials]
    _deny_with(session, actor, collaboration_id, plan, list(decision.reasons), codes)
    raise denial_error(decision)


def _repeat(
    session: Session, actor: str, collaboration_id: str, plan: Plan, stored: StoredResult
) -> Outcome:
    audit_query(
        session,
        actor,
        "query.repeat",
        collaboration_id,
        plan,
        outcome="repeat",
        result_id=stored.id,
        result_digest=stored.digest,
        epsilon_charged="0/1",
    )
    session.commit()
    budget = _budget(collaboration_id, plan, plan.state)
    return Outcome(stored, True, Fraction(0), budget)


def _store(plan: Plan, collaboration_id: str, actor: str, result: Result) -> StoredResult:
    return StoredResult(
        id=new_id("res"),
        collaboration_id=collaboration_id,
        request_key=plan.key,
        template=result.template,
        request=plan.canonical,
        datasets=[d.public() for d in plan.datasets],
        policy_hash=plan.policy_hash,
        effective_policy_hash=plan.effective_hash,
        receivers=sorted(plan.effective.receivers),
        requested_by=actor,
        epsilon=fraction_text(result.epsilon_spent),
        rows_suppressed=result.rows_suppressed,
        digest=result.digest,
        body=result.to_dict(),
    )


def _commit_release(
    session: Session, actor: str, collaboration_id: str, plan: Plan, result: Result, at: datetime
) -> Outcome:
    budget = plan.effective.budget
    try:
        after = ledger.charge(
            session, collaboration_id, budget.epsilon, budget.period, at, result.epsilon_spent
        )
    except policies.BudgetExceeded as error:
        session.rollback()
        _late_denial(session, actor, collaboration_id, plan, at, str(error))
    stored = _store(plan, collaboration_id, actor, result)
    try:
        session.add(stored)
        session.flush()  # a concurrent identical query that stored first wins: see below
    except IntegrityError:
        return _lost_race(session, actor, collaboration_id, plan)
    left = policies.remaining(budget.epsilon, after)
    audit_query(
        session,
        actor,
        "query.granted",
        collaboration_id,
        plan,
        outcome="granted",
        result_id=stored.id,
        result_digest=result.digest,
        epsilon_charged=fraction_text(result.epsilon_spent),
        budget_left=fraction_text(left),
        rows_suppressed=result.rows_suppressed,
    )
    try:
        session.commit()
    except IntegrityError:
        return _lost_race(session, actor, collaboration_id, plan)
    return Outcome(stored, False, result.epsilon_spent, _budget(collaboration_id, plan, after))


def _lost_race(session: Session, actor: str, collaboration_id: str, plan: Plan) -> Outcome:
    """An identical query committed its result first: undo this charge, serve that one."""
    session.rollback()
    existing = _find(session, collaboration_id, plan.key)
    if existing is None:
        raise InternalError("a stored result vanished after a uniqueness conflict (a bug)")
    return _repeat(session, actor, collaboration_id, plan, existing)


def _late_denial(
    session: Session, actor: str, collaboration_id: str, plan: Plan, at: datetime, message: str
) -> NoReturn:
    """The budget was spent by a concurrent query after evaluation: explain it fully."""
    budget = plan.effective.budget
    state = ledger.period_state(session, collaboration_id, budget.period, at)
    decision = policies.evaluate(plan.request, plan.effective, state)
    if decision.allowed:  # cannot happen: the charge just refused; keep the ledger's words
        denial = {"code": "budget_exhausted", "field": "budget.epsilon", "message": message}
        _deny_with(session, actor, collaboration_id, plan, [message], ["budget_exhausted"])
        raise BudgetExhausted(message, reasons=[message], denials=[denial])
    _deny(session, actor, collaboration_id, plan, decision)


def submit_query(
    ctx: QueryContext,
    session: Session,
    principal: Principal,
    collaboration_id: str,
    body: QueryCreate,
) -> Outcome:
    """Run one query through the release path; see the module docstring for the steps.

    ``session`` is the request's session; its read transaction ends before the release
    (so no connection or lock is held while DuckDB runs) and a new one does the charge.
    """
    requester = requester_of(principal, body.receiver)
    actor, at = principal.actor, ctx.now()
    plan = plan_query(session, collaboration_id, body, requester, at)
    decision = plan.decision
    if any(denial.code != "budget_exhausted" for denial in decision.denials):
        _deny(session, actor, collaboration_id, plan, decision)
    existing = _find(session, collaboration_id, plan.key)
    if existing is not None:  # free, so an exhausted budget does not stand in the way
        return _repeat(session, actor, collaboration_id, plan, existing)
    if not decision.allowed:
        _deny(session, actor, collaboration_id, plan, decision)
    session.rollback()  # end the read transaction: nothing held while the engine runs
    template, policy = plan.release_inputs()
    result = release(plan.sources(ctx.settings.data_dir), template, policy, ctx.engine_settings())
    return _commit_release(session, actor, collaboration_id, plan, result, at)
