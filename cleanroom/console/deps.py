"""Who is looking (from the session cookie), their collaboration, and POSTed forms.

Authorization is the API's own: the session resolves to the same
:class:`~cleanroom.server.auth.Principal` a bearer token does, the collaboration to the
same :class:`~cleanroom.server.deps.Scope`, and pages call the API's route functions,
whose role checks raise :class:`~cleanroom.errors.Forbidden` exactly as over HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import Depends, Path, Request

from cleanroom.console.sessions import COOKIE, SessionStore, same
from cleanroom.errors import Forbidden, RequestInvalid, TokenRevoked, Unauthenticated
from cleanroom.server.auth import Principal, authenticate_token_id
from cleanroom.server.deps import Scope, SessionDep, get_scope
from cleanroom.storage.models import Role

MAX_FORM_BYTES = 64 * 1024


class SignInRequired(Exception):
    """No live console session: the page answers with a redirect to the sign-in form."""


@dataclass(frozen=True)
class Visitor:
    """The signed-in person: their principal and their session's CSRF token."""

    principal: Principal
    session_id: str
    csrf: str

    @property
    def role(self) -> Role:
        return self.principal.role


def sessions_of(request: Request) -> SessionStore:
    store: SessionStore = request.app.state.console_sessions
    return store


def get_visitor(request: Request, session: SessionDep) -> Visitor:
    store = sessions_of(request)
    session_id = request.cookies.get(COOKIE)
    found = store.get(session_id)
    if found is None or session_id is None:
        raise SignInRequired
    try:
        principal = authenticate_token_id(session, found.token_id)
    except (Unauthenticated, TokenRevoked):
        store.close(session_id)
        raise
    return Visitor(principal, session_id, found.csrf)


VisitorDep = Annotated[Visitor, Depends(get_visitor)]


def get_console_scope(
    collaboration_id: Annotated[str, Path(max_length=40)], visitor: VisitorDep, session: SessionDep
) -> Scope:
    return get_scope(collaboration_id, visitor.principal, session)


ConsoleScopeDep = Annotated[Scope, Depends(get_console_scope)]


async def read_form(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body (the only kind our forms send)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip()
    if kind != "application/x-www-form-urlencoded":
        raise RequestInvalid("this form must be sent as application/x-www-form-urlencoded")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise RequestInvalid("the form is too large")
    return dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))


FormDep = Annotated[dict[str, str], Depends(read_form)]


def check_csrf(form: dict[str, str], expected: str) -> None:
    if not same(form.get("csrf", ""), expected):
        raise Forbidden(
            "this form has expired or was not sent from this console; reload the page and try again"
        )


def get_posted(form: FormDep, visitor: VisitorDep) -> dict[str, str]:
    """The fields of a POST from a signed-in visitor whose CSRF token matches."""
    check_csrf(form, visitor.csrf)
    return form


PostedDep = Annotated[dict[str, str], Depends(get_posted)]
