"""The audit log of a collaboration, for auditors (and server admins).

    GET /v1/collaborations/{id}/audit   auditor, admin   JSON Lines: every sealed entry,
                                                         then a head record signed now

The export is what ``cleanroom audit verify`` checks offline with the server's public
key (``GET /v1/server``). Reading the log is itself audited (``audit.exported``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from cleanroom import audit
from cleanroom.audit.export import export_lines
from cleanroom.query.repeats import seal_pending_repeats
from cleanroom.server.deps import ScopeDep, SessionDep
from cleanroom.storage.models import Role

router = APIRouter(prefix="/v1/collaborations/{collaboration_id}", tags=["audit"])
NDJSON = "application/x-ndjson"


@router.get(
    "/audit",
    response_class=Response,
    responses={200: {"content": {NDJSON: {}}, "description": "JSON Lines export"}},
)
def export_audit_log(scope: ScopeDep, session: SessionDep, request: Request) -> Response:
    """Every entry of the collaboration's chain, then a signed head record."""
    scope.principal.require(Role.AUDITOR, Role.ADMIN)
    seal_pending_repeats(session, scope.id)  # the export accounts for every repeat so far
    audit.record(
        session, actor=scope.principal.actor, action="audit.exported", collaboration_id=scope.id
    )
    session.commit()
    lines = list(export_lines(session, scope.id, request.app.state.signing_key))
    return Response("\n".join(lines) + "\n", media_type=NDJSON)
