"""Stored results: the list the caller may read, one result as tables and interval
charts (the chart code of the HTML reports), and its CSV export.

    GET /ui/c/{id}/results               :func:`~cleanroom.server.routes.queries.list_results`
    GET /ui/c/{id}/results/{rid}         :func:`~cleanroom.server.routes.queries.get_result`
    GET /ui/c/{id}/results/{rid}/csv     the same, as CSV (the read is audited either way)
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from cleanroom.console.deps import ConsoleScopeDep, VisitorDep
from cleanroom.console.render import page, secure
from cleanroom.console.views import nav_for, result_csv, result_view
from cleanroom.server.deps import SessionDep
from cleanroom.server.routes.queries import get_result, list_results

router = APIRouter(prefix="/ui/c/{collaboration_id}/results", include_in_schema=False)


@router.get("")
def results(
    request: Request, scope: ConsoleScopeDep, visitor: VisitorDep, session: SessionDep
) -> Response:
    listed = list_results(scope, session)
    context: dict[str, Any] = {
        "visitor": visitor,
        "nav": nav_for(visitor.role, scope.id),
        "results": listed,
    }
    return page(request, "results.html", collaboration=scope.collaboration, **context)


@router.get("/{result_id}")
def result(
    result_id: str,
    request: Request,
    scope: ConsoleScopeDep,
    visitor: VisitorDep,
    session: SessionDep,
    reused: bool = False,
) -> Response:
    public = get_result(result_id, scope, session)
    return page(
        request,
        "result.html",
        visitor=visitor,
        nav=nav_for(visitor.role, scope.id),
        collaboration=scope.collaboration,
        result=public,
        view=result_view(public),
        reused=reused,
    )


@router.get("/{result_id}/csv")
def result_as_csv(result_id: str, scope: ConsoleScopeDep, session: SessionDep) -> Response:
    public = get_result(result_id, scope, session)
    name = f"{public['template']}-{public['id']}.csv"
    response = Response(
        result_csv(public),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
    return secure(response)
