"""Audit entries of the query layer, in one place.

Actions: ``query.granted`` (a fresh release: epsilon charged, budget left in the
period, the lifetime total after the charge, rows suppressed, result digest),
``query.repeat`` (an identical request served from the stored result, epsilon 0),
``query.denied`` (every reason in plain words and its code, with the submitted values the
policy does not define cut out: :func:`audit_denied`), ``result.read``. Every
entry names the policy hash, the effective policy hash (base + party rules) and the
request digest (SHA-256 of the canonical request, datasets versions included). No
token, raw value or result number goes in.

``cleanroom.audit.record`` lifts the first-class fields of ``docs/reference/audit-log.md``
(``outcome``, ``policy_hash``, ``request_digest``, ``epsilon_charged``, ``budget_left``,
``rows_suppressed``, ``result_digest``) out of ``details`` into the sealed record.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import policies
from cleanroom import audit
from cleanroom.audit import Outcome, canonical_json
from cleanroom.audit.redact import REDACTED, Submitted, scrub
from cleanroom.query.plan import Plan
from cleanroom.storage.models import Member


def request_digest(plan: Plan) -> str:
    return hashlib.sha256(canonical_json(plan.canonical)).hexdigest()


def undefined_values(plan: Plan, parties: frozenset[str]) -> set[str]:
    """The free strings of a request that neither the effective policy nor the
    collaboration defines: dimension names the policy does not allow and a requester that
    is none of the member ``parties``. Such a value is whatever the caller typed (it may
    be an identifier pasted by mistake)."""
    effective = plan.effective
    found = {name for name in plan.request.dimensions if effective.dimensions.kind_of(name) is None}
    if plan.request.requester not in parties | effective.receivers:
        found.add(plan.request.requester)
    return found


def member_parties(session: Session, collaboration_id: str) -> frozenset[str]:
    query = select(Member.party).where(Member.collaboration_id == collaboration_id)
    return frozenset(session.scalars(query))


def denied_record(
    plan: Plan, decision: policies.Decision, parties: frozenset[str] = frozenset()
) -> tuple[dict[str, Any], list[str]]:
    """The request and the reasons a ``query.denied`` entry holds: every value of
    :func:`undefined_values` replaced by ``(submitted value)`` in the request and cut
    out of the reasons by the same rule as problem+json (:func:`cleanroom.audit.redact.scrub`).
    Parsed numbers (window, epsilon) are kept: they are what the policy compared."""
    undefined = undefined_values(plan, parties)
    request = plan.canonical
    request["dimensions"] = [REDACTED if d in undefined else d for d in request["dimensions"]]
    if request["requester"] in undefined:
        request["requester"] = REDACTED
    submitted = Submitted()
    submitted.add(sorted(undefined))
    return request, [scrub(reason, submitted) for reason in decision.reasons]


def audit_denied(
    session: Session, actor: str, collaboration_id: str, plan: Plan, decision: policies.Decision
) -> None:
    """A ``query.denied`` entry: codes, scrubbed reasons, the scrubbed request and its digest
    (of the scrubbed form: a digest of the raw request would let a reader confirm a guessed
    value)."""
    request, reasons = denied_record(plan, decision, member_parties(session, collaboration_id))
    details: dict[str, Any] = {
        "request": request,
        "request_digest": hashlib.sha256(canonical_json(request)).hexdigest(),
        "policy_hash": plan.policy_hash,
        "effective_policy_hash": plan.effective_hash,
        "outcome": Outcome.DENIED,
        "reasons": reasons,
        "codes": [denial.code for denial in decision.denials],
    }
    audit.record(
        session,
        actor=actor,
        action="query.denied",
        collaboration_id=collaboration_id,
        details=details,
    )


def audit_query(
    session: Session,
    actor: str,
    action: str,
    collaboration_id: str,
    plan: Plan,
    **fields: Any,
) -> None:
    """Append one query-layer entry to ``session`` (the caller commits)."""
    details: dict[str, Any] = {
        "request": plan.canonical,
        "request_digest": request_digest(plan),
        "policy_hash": plan.policy_hash,
        "effective_policy_hash": plan.effective_hash,
        **fields,
    }
    audit.record(
        session, actor=actor, action=action, collaboration_id=collaboration_id, details=details
    )


def audit_read(
    session: Session, actor: str, collaboration_id: str, result_id: str, digest: str
) -> None:
    audit.record(
        session,
        actor=actor,
        action="result.read",
        collaboration_id=collaboration_id,
        details={"result_id": result_id, "result_digest": digest, "outcome": "read"},
    )
