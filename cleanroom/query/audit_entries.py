"""Audit entries of the query layer, in one place.

Actions: ``query.granted`` (a fresh release: epsilon charged, budget left in the
period, the lifetime total after the charge, rows suppressed, result digest),
``query.repeat`` (an identical request served from the stored result, epsilon 0),
``query.denied`` (every reason in plain words and its code), ``result.read``. Every
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

from sqlalchemy.orm import Session

from cleanroom import audit
from cleanroom.audit import canonical_json
from cleanroom.query.plan import Plan


def request_digest(plan: Plan) -> str:
    return hashlib.sha256(canonical_json(plan.canonical)).hexdigest()


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
