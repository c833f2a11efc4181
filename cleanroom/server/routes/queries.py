"""Measurement queries, their stored results, the privacy budget and party rules.

    POST /v1/collaborations/{id}/queries        analyst, party_admin   201 new / 200 repeat
    GET  /v1/collaborations/{id}/results        analyst, party_admin   what the caller may read
    GET  /v1/collaborations/{id}/results/{rid}  analysts of the collaboration; party_admins
                                                whose party is a receiver of that result
    GET  /v1/collaborations/{id}/budget         auditor, analyst, party_admin
    PUT  /v1/collaborations/{id}/rules          party_admin: rules for its own datasets
    GET  /v1/collaborations/{id}/rules          any member: newest rules of each party

Time comes from the server's one clock (:data:`cleanroom.server.deps.ClockDep`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

import policies
from cleanroom import audit
from cleanroom.errors import (
    Conflict,
    Forbidden,
    NoEffectivePolicy,
    UnknownResult,
    policy_errors,
)
from cleanroom.policy.document import parse_policy
from cleanroom.policy.store import effective_policy as signed_policy
from cleanroom.query import ledger
from cleanroom.query.audit_entries import audit_read
from cleanroom.query.service import BudgetAfter, QueryContext, submit_query
from cleanroom.server.auth import Principal
from cleanroom.server.deps import ClockDep, ScopeDep, SessionDep, SettingsDep
from cleanroom.server.query_schemas import (
    BudgetPublic,
    QueryCreate,
    QueryReply,
    ResultPublic,
    ResultSummary,
    RulesPublic,
    budget_public,
    result_public,
)
from cleanroom.storage.models import Role
from cleanroom.storage.query_tables import PartyRulesRow, StoredResult

router = APIRouter(prefix="/v1/collaborations/{collaboration_id}", tags=["queries"])


@router.post("/queries", status_code=status.HTTP_201_CREATED, response_model=QueryReply)
def run_query(
    body: QueryCreate,
    scope: ScopeDep,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    response: Response,
) -> dict[str, Any]:
    """Run a query through the release path (201), or return the stored identical one (200)."""
    principal = scope.principal
    submission = body.to_request(principal.requester_for(body.receiver))
    outcome = submit_query(
        QueryContext(settings, clock),
        session,
        actor=principal.actor,
        collaboration_id=scope.id,
        submission=submission,
    )
    if outcome.reused:
        response.status_code = status.HTTP_200_OK
    budget = outcome.budget
    return {
        **result_public(outcome.stored),
        "reused": outcome.reused,
        "epsilon_charged": policies.fraction_text(outcome.charged),
        "budget": budget_public(scope.id, budget),
    }


def may_read(principal: Principal, stored: StoredResult) -> bool:
    if principal.role is Role.ANALYST:
        return True
    return principal.role is Role.PARTY_ADMIN and principal.party in stored.receivers


@router.get("/results", response_model=list[ResultSummary])
def list_results(scope: ScopeDep, session: SessionDep) -> list[dict[str, Any]]:
    """Results the caller may read, newest first, without their numbers."""
    scope.principal.require(Role.ANALYST, Role.PARTY_ADMIN)
    query = select(StoredResult).where(StoredResult.collaboration_id == scope.id)
    rows = session.scalars(query.order_by(StoredResult.created_at.desc()))
    fields = ("id", "template", "request", "epsilon", "digest", "created_at", "requested_by")
    return [
        {name: result_public(row)[name] for name in fields}
        for row in rows
        if may_read(scope.principal, row)
    ]


@router.get("/results/{result_id}", response_model=ResultPublic)
def get_result(result_id: str, scope: ScopeDep, session: SessionDep) -> dict[str, Any]:
    """One stored result, for its receivers and the collaboration's analysts (audited)."""
    scope.principal.require(Role.ANALYST, Role.PARTY_ADMIN)
    stored = session.get(StoredResult, result_id)
    if stored is None or stored.collaboration_id != scope.id:
        raise UnknownResult(f"no result {result_id!r} in this collaboration")
    if not may_read(scope.principal, stored):
        raise Forbidden(
            f"`{scope.principal.party or 'admin'}` ({scope.principal.role}) is not a receiver "
            f"of this result; receivers: {', '.join(stored.receivers) or 'none'}"
        )
    audit_read(session, scope.principal.actor, scope.id, stored.id, stored.digest)
    session.commit()
    return result_public(stored)


@router.get("/budget", response_model=BudgetPublic)
def get_budget(scope: ScopeDep, session: SessionDep, clock: ClockDep) -> dict[str, Any]:
    """Epsilon spent and left in the current period and over the lifetime (policy caps),
    the noise the policy sets, and the delta the spent totals hold at."""
    scope.principal.require(Role.AUDITOR, Role.ANALYST, Role.PARTY_ADMIN)
    version = signed_policy(session, scope.id)
    if version is None:
        raise NoEffectivePolicy("no policy version is approved by every party yet")
    policy = parse_policy(version.text)
    state = ledger.period_state(session, scope.id, policy.budget.period, clock())
    delta = ledger.spent_delta(session, scope.id)
    return budget_public(scope.id, BudgetAfter(policy.budget, state, policy.noise, delta))


class RulesCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=100_000, description="Party-rules YAML")


def _rules_public(row: PartyRulesRow) -> dict[str, Any]:
    return {
        "party": row.party,
        "version": row.version,
        "rules_hash": row.rules_hash,
        "text": row.text,
        "created_by": row.created_by,
        "created_at": row.created_at.isoformat(),
    }


@router.put("/rules", status_code=status.HTTP_201_CREATED, response_model=RulesPublic)
def put_rules(body: RulesCreate, scope: ScopeDep, session: SessionDep) -> dict[str, Any]:
    """Attach rules to the caller's own datasets; they can only make queries stricter."""
    scope.principal.require(Role.PARTY_ADMIN)
    with policy_errors():
        rules = policies.party_rules_from_yaml(body.text)
    if rules.party != scope.principal.party:
        raise Forbidden(f"you may only set the rules of `{scope.principal.party}`")
    newest = _newest_rules(session, scope.id, rules.party)
    if newest is not None and rules.version <= newest.version:
        raise Conflict(f"rules version must be above {newest.version}, got {rules.version}")
    row = PartyRulesRow(
        collaboration_id=scope.id,
        party=rules.party,
        version=rules.version,
        rules_hash=policies.policy_hash(rules),
        text=body.text,
        created_by=scope.principal.actor,
    )
    session.add(row)
    audit.record(
        session,
        actor=scope.principal.actor,
        action="rules.set",
        collaboration_id=scope.id,
        details={"party": rules.party, "version": rules.version, "rules_hash": row.rules_hash},
    )
    session.commit()
    return _rules_public(row)


def _newest_rules(session: SessionDep, collaboration_id: str, party: str) -> PartyRulesRow | None:
    return session.scalar(
        select(PartyRulesRow)
        .where(PartyRulesRow.collaboration_id == collaboration_id, PartyRulesRow.party == party)
        .order_by(PartyRulesRow.version.desc())
        .limit(1)
    )


@router.get("/rules", response_model=list[RulesPublic])
def list_rules(scope: ScopeDep, session: SessionDep) -> list[dict[str, Any]]:
    """The newest rules of each party (what queries reading its datasets run under)."""
    query = select(PartyRulesRow.party).where(PartyRulesRow.collaboration_id == scope.id)
    parties = sorted(set(session.scalars(query)))
    rows = [_newest_rules(session, scope.id, party) for party in parties]
    return [_rules_public(row) for row in rows if row is not None]
