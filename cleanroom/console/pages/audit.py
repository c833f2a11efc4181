"""The privacy budget and the audit log with its verification status.

GET /ui/c/{id}/budget   :func:`~cleanroom.server.routes.queries.get_budget` (auditor,
                        analyst, party_admin); readers of the audit log also see the
                        budget spent over time, drawn from the verified log
GET /ui/c/{id}/audit    :func:`~cleanroom.server.routes.audit.export_audit_log`
                        (auditor, admin): the export is verified with the server's
                        public key, as ``cleanroom audit verify`` does offline
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from cleanroom.audit import AuditRecord, VerifyReport, verify_lines
from cleanroom.audit.export import report_input
from cleanroom.audit.report import budget_chart
from cleanroom.console.deps import ConsoleScopeDep, VisitorDep
from cleanroom.console.render import page
from cleanroom.console.views import nav_for
from cleanroom.errors import Forbidden
from cleanroom.server.deps import ClockDep, Scope, SessionDep
from cleanroom.server.routes.audit import export_audit_log
from cleanroom.server.routes.queries import get_budget

router = APIRouter(prefix="/ui/c/{collaboration_id}", include_in_schema=False)


@dataclass(frozen=True)
class VerifiedLog:
    report: VerifyReport
    entries: list[AuditRecord]
    chart: str


def verified_log(request: Request, scope: Scope, session: Session) -> VerifiedLog:
    """The audit export (the API's own, audited as ``audit.exported``), verified."""
    exported = export_audit_log(scope, session, request)
    lines = bytes(exported.body).decode().splitlines()
    public_key = request.app.state.signing_key.public_key()
    report = verify_lines(lines, public_key)
    data = report_input(session, scope.id, lines, report.summary())
    chart = budget_chart(data.entries, data.budget_per_period, data.period_start)
    return VerifiedLog(report, data.entries, chart)


def _context(visitor: VisitorDep, scope: Scope, **extra: Any) -> dict[str, Any]:
    context = {"visitor": visitor, "nav": nav_for(visitor.role, scope.id)}
    return {**context, "collaboration": scope.collaboration, **extra}


@router.get("/budget")
def budget(
    request: Request,
    scope: ConsoleScopeDep,
    visitor: VisitorDep,
    session: SessionDep,
    clock: ClockDep,
) -> Response:
    numbers = get_budget(scope, session, clock)
    try:
        log: VerifiedLog | None = verified_log(request, scope, session)
    except Forbidden:  # only readers of the audit log see every charge over time
        log = None
    return page(request, "budget.html", **_context(visitor, scope, budget=numbers, log=log))


@router.get("/audit")
def audit_log(
    request: Request, scope: ConsoleScopeDep, visitor: VisitorDep, session: SessionDep
) -> Response:
    log = verified_log(request, scope, session)
    entries = list(reversed(log.entries))
    return page(request, "audit.html", **_context(visitor, scope, log=log, entries=entries))
