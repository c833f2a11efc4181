"""The one release path every query takes on the server.

    (the route has authorized the caller and named the requesting party)
    -> plan (datasets, effective policy = base + every reading party's rules,
    evaluate against the current period's budget) -> denied other than by the budget?
    audit ``query.denied``, 403 -> stored result for the identical request? audit
    ``query.repeat`` (first time per actor, then counted: repeats.py), return it, free
    (even with the budget spent) -> denied by the budget? audit ``query.denied``, 409
    -> release() (engine + OpenDP + thresholds + intervals; charges nothing, holds no lock)
    -> ONE transaction: charge the ledger (atomic, exact), store the result with the dataset
       versions it read, audit ``query.granted`` -> commit -> respond.

If the charge no longer fits (a concurrent query spent the budget meanwhile) the fresh
result is discarded unseen and the denial is audited; if a concurrent identical query
stored its result first, that one is returned and this transaction charges nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any, NoReturn

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import policies
from cleanroom.audit import Outcome
from cleanroom.errors import InternalError, denial_error
from cleanroom.query import ledger
from cleanroom.query.audit_entries import audit_denied, audit_query
from cleanroom.query.plan import Plan, plan_query, require_one_normalization
from cleanroom.query.repeats import count_repeat
from cleanroom.query.request import QuerySubmission
from cleanroom.release import EngineConfig, EngineSettings, Result, SparkSettings, release
from cleanroom.settings import Settings
from cleanroom.storage.clock import Clock
from cleanroom.storage.models import new_id
from cleanroom.storage.query_tables import StoredResult
from policies import BudgetState, fraction_text


@dataclass(frozen=True)
class QueryContext:
    """What the release path needs from the running app: settings and the server's clock."""

    settings: Settings
    clock: Clock

    def engine_settings(self) -> EngineConfig:
        """The engine the settings choose: DuckDB (``duckdb_memory_limit``) spilling under
        ``DATA_DIR/tmp``, or
        Spark at ``spark_master``."""
        if self.settings.engine == "spark":
            return SparkSettings(self.settings.spark_master)
        return EngineSettings(
            self.settings.duckdb_memory_limit, temp_directory=self.settings.tmp_dir / "duckdb"
        )


def engine_unavailable(settings: Settings) -> str | None:
    """Why the engine the settings choose cannot run here (``None`` when it can): the
    server refuses to start rather than fail every query."""
    if settings.engine == "spark":
        from cleanroom.engine import spark_unavailable

        return spark_unavailable()
    return None


@dataclass(frozen=True)
class BudgetAfter:
    """The budget a reply reports: the effective limits (period and lifetime), their
    state now, the noise the policy sets and the delta every spent total holds at
    (:func:`cleanroom.query.ledger.spent_delta`)."""

    limits: policies.Budget
    state: BudgetState
    noise: policies.NoiseRules
    delta: Fraction


@dataclass(frozen=True)
class QueryOutcome:
    stored: StoredResult
    reused: bool
    charged: Fraction
    budget: BudgetAfter


def _find(session: Session, collaboration_id: str, key: str) -> StoredResult | None:
    return session.scalar(
        select(StoredResult).where(
            StoredResult.collaboration_id == collaboration_id, StoredResult.request_key == key
        )
    )


@dataclass(frozen=True)
class _Run:
    """One query on its way through the path: who asks, where, when, and its plan."""

    session: Session
    actor: str
    collaboration_id: str
    plan: Plan
    at: datetime

    def audit(self, action: str, **fields: Any) -> None:
        audit_query(self.session, self.actor, action, self.collaboration_id, self.plan, **fields)

    def budget(self, state: BudgetState) -> BudgetAfter:
        effective = self.plan.effective
        delta = ledger.spent_delta(self.session, self.collaboration_id)
        return BudgetAfter(effective.budget, state, effective.noise, delta)

    def deny(self, decision: policies.Decision) -> NoReturn:
        self.session.rollback()
        audit_denied(self.session, self.actor, self.collaboration_id, self.plan, decision)
        self.session.commit()
        raise denial_error(decision)

    def state_now(self) -> BudgetState:
        """The period's budget state as committed now (others may have charged since the plan)."""
        period = self.plan.effective.budget.period
        return ledger.period_state(self.session, self.collaboration_id, period, self.at)

    def deny_late(self) -> NoReturn:
        """A concurrent query spent the budget after evaluation: explain it like any denial."""
        self.session.rollback()
        decision = policies.evaluate(self.plan.request, self.plan.effective, self.state_now())
        if decision.allowed:
            raise InternalError("the ledger refused a charge that the policy allows (a bug)")
        self.deny(decision)

    def repeat(self, stored: StoredResult, state: BudgetState | None = None) -> QueryOutcome:
        """Serve ``stored`` for free; ``state`` is the budget now when the plan's is stale.

        Audited in full the first time this actor is served it again, then counted.
        """

        def audit_first() -> None:
            self.audit(
                "query.repeat",
                outcome=Outcome.REPEAT,
                result_id=stored.id,
                result_digest=stored.digest,
                epsilon_charged="0/1",
            )

        count_repeat(self.session, self.collaboration_id, stored.id, self.actor, audit_first)
        self.session.commit()
        budget = self.budget(self.plan.state if state is None else state)
        return QueryOutcome(stored, True, Fraction(0), budget)

    def lost_race(self) -> QueryOutcome:
        """An identical query committed its result first: undo this charge, serve that one."""
        self.session.rollback()
        existing = _find(self.session, self.collaboration_id, self.plan.key)
        if existing is None:
            raise InternalError("a stored result vanished after a uniqueness conflict (a bug)")
        return self.repeat(existing, self.state_now())  # the winner charged after our plan

    def store(self, result: Result) -> StoredResult:
        plan = self.plan
        return StoredResult(
            id=new_id("res"),
            collaboration_id=self.collaboration_id,
            request_key=plan.key,
            template=result.template,
            request=plan.canonical,
            datasets=[d.public() for d in plan.datasets],
            policy_hash=plan.policy_hash,
            effective_policy_hash=plan.effective_hash,
            receivers=sorted(plan.effective.receivers),
            requested_by=self.actor,
            epsilon=fraction_text(result.epsilon_spent),
            rows_suppressed=result.rows_suppressed,
            digest=result.digest,
            body=result.to_dict(),
        )

    def commit_release(self, result: Result) -> QueryOutcome:
        """ONE transaction: charge, store, audit, commit."""
        session, budget, epsilon = self.session, self.plan.effective.budget, result.epsilon_spent
        try:
            after = ledger.charge(session, self.collaboration_id, budget, self.at, epsilon)
        except policies.BudgetExceeded:
            self.deny_late()
        stored = self.store(result)
        try:
            session.add(stored)
            session.flush()  # a concurrent identical query that stored first wins
        except IntegrityError:
            return self.lost_race()
        self.audit(
            "query.granted",
            outcome=Outcome.GRANTED,
            result_id=stored.id,
            result_digest=result.digest,
            epsilon_charged=fraction_text(epsilon),
            budget_left=fraction_text(policies.remaining(budget.epsilon, after)),
            lifetime_spent=fraction_text(after.lifetime_spent),
            rows_suppressed=result.rows_suppressed,
        )
        try:
            session.commit()
        except IntegrityError:
            return self.lost_race()
        return QueryOutcome(stored, False, epsilon, self.budget(after))


def submit_query(
    ctx: QueryContext,
    session: Session,
    *,
    actor: str,
    collaboration_id: str,
    submission: QuerySubmission,
) -> QueryOutcome:
    """Run one query through the release path; see the module docstring for the steps.

    ``session`` is the request's session; its read transaction ends before the release
    (so no connection or lock is held while DuckDB runs) and a new one does the charge.
    """
    at = ctx.clock()
    plan = plan_query(session, collaboration_id, submission, at)
    run = _Run(session, actor, collaboration_id, plan, at)
    if plan.decision.denials and not plan.decision.only_budget:
        run.deny(plan.decision)
    existing = _find(session, collaboration_id, plan.key)
    if existing is not None:  # free, so an exhausted budget does not stand in the way
        return run.repeat(existing)
    if not plan.decision.allowed:
        run.deny(plan.decision)
    require_one_normalization(plan.datasets, ctx.settings.data_dir)
    session.rollback()  # end the read transaction: nothing held while the engine runs
    template, policy = plan.release_inputs()
    result = release(plan.sources(ctx.settings.data_dir), template, policy, ctx.engine_settings())
    return run.commit_release(result)
