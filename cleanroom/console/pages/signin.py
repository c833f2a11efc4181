"""Sign in with an API token, sign out, and the console's front door.

GET  /ui/login    the sign-in form (sets a double-submit CSRF cookie for it)
POST /ui/login    token -> a new session (the token itself is not kept anywhere)
POST /ui/logout   ends the session
GET  /ui          the visitor's collaboration (a server admin: every collaboration)
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from cleanroom.console.deps import FormDep, PostedDep, VisitorDep, sessions_of
from cleanroom.console.render import page, secure
from cleanroom.console.sessions import COOKIE, COOKIE_PATH, LOGIN_COOKIE, new_secret, same
from cleanroom.errors import AuthError
from cleanroom.server.auth import authenticate
from cleanroom.server.deps import SessionDep
from cleanroom.server.routes.collaborations import list_collaborations

router = APIRouter(prefix="/ui", include_in_schema=False)


def _cookie(request: Request, response: Response, name: str, value: str, age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=age,
        path=COOKIE_PATH,
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )


def redirect(url: str) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    secure(response)
    return response


def _login_page(request: Request, error: str | None = None, status: int = 200) -> Response:
    csrf = new_secret()
    response = page(request, "login.html", status, csrf=csrf, error=error, visitor=None)
    _cookie(request, response, LOGIN_COOKIE, csrf, 3600)
    return response


@router.get("/login")
def login_form(request: Request) -> Response:
    if sessions_of(request).get(request.cookies.get(COOKIE)) is not None:
        return redirect("/ui")
    return _login_page(request)


@router.post("/login")
def login(request: Request, form: FormDep, session: SessionDep) -> Response:
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not same(form.get("csrf", ""), expected):
        return _login_page(request, "The sign-in form expired; please try again.", 403)
    try:
        principal = authenticate(session, form.get("token", "").strip())
    except AuthError as error:
        return _login_page(request, f"Not signed in: {error.detail}.", 401)
    session_id, _ = sessions_of(request).open(principal.token_id)
    response = redirect("/ui")
    _cookie(request, response, COOKIE, session_id, 8 * 3600)
    response.delete_cookie(LOGIN_COOKIE, path=COOKIE_PATH)
    return response


@router.post("/logout")
def logout(request: Request, form: PostedDep, visitor: VisitorDep) -> Response:
    sessions_of(request).close(visitor.session_id)
    response = redirect("/ui/login")
    response.delete_cookie(COOKIE, path=COOKIE_PATH)
    return response


@router.get("")
def home(request: Request, visitor: VisitorDep, session: SessionDep) -> Response:
    principal = visitor.principal
    if principal.collaboration_id is not None:
        return redirect(f"/ui/c/{principal.collaboration_id}")
    collaborations = list_collaborations(principal, session)
    return page(request, "home.html", visitor=visitor, collaborations=collaborations, nav=[])
