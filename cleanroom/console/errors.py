"""Every problem on a console page becomes an HTML error page (never a traceback).

The API's handlers keep answering problem+json everywhere else: :func:`install_pages`
wraps each of the app's exception handlers so that a request under ``/ui`` gets a page
with the same status, title and detail, and the console's sign-in redirect.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from cleanroom.console.deps import SignInRequired
from cleanroom.console.pages.signin import redirect
from cleanroom.console.render import page
from cleanroom.errors import CleanRoomError, RequestInvalid, TokenRevoked, Unauthenticated

log = logging.getLogger("cleanroom")
Handler = Callable[[Request, Any], Awaitable[Response] | Response]
PREFIX = "/ui"
HTTP_TITLES = {404: "Page not found", 405: "Not allowed here"}


def _page(
    request: Request, status: int, title: str, detail: str, sign_in: bool = False
) -> Response:
    context: dict[str, object] = {
        "visitor": None,
        "nav": [],
        "title": title,
        "detail": detail,
        "code": status,
    }
    context["sign_in"] = sign_in
    return page(request, "error.html", status, **context)


def error_page(request: Request, error: Exception) -> Response:
    """The page for ``error`` (the same words as the API's problem+json)."""
    if isinstance(error, SignInRequired):
        return redirect("/ui/login")
    if isinstance(error, RequestValidationError):
        error = RequestInvalid("the address or the form is not valid")
    if isinstance(error, CleanRoomError):
        if error.status >= 500:
            log.error("internal error: %s", error.detail)
        signed_out = isinstance(error, Unauthenticated | TokenRevoked)
        return _page(request, error.status, error.title, error.detail, sign_in=signed_out)
    if isinstance(error, StarletteHTTPException):
        title = HTTP_TITLES.get(error.status_code, str(error.detail))
        return _page(request, error.status_code, title, "There is no such page in the console.")
    log.exception("unhandled error on a console page (a bug)", exc_info=error)
    return _page(
        request,
        500,
        "Internal error",
        "The server hit a bug; the operator's log has the details.",
    )


def install_pages(app: FastAPI) -> None:
    """Route errors of ``/ui`` requests to :func:`error_page`; others to the API's handler."""
    kinds: list[type[Exception]] = [
        CleanRoomError,
        RequestValidationError,
        StarletteHTTPException,
        SignInRequired,
        Exception,
    ]
    for kind in kinds:
        app.exception_handlers[kind] = _dispatch(app.exception_handlers.get(kind))


def _dispatch(api: Handler | None) -> Handler:
    async def handle(request: Request, error: Exception) -> Response:
        if request.url.path == PREFIX or request.url.path.startswith(PREFIX + "/") or api is None:
            return error_page(request, error)
        reply = api(request, error)
        return await reply if isinstance(reply, Awaitable) else reply

    return handle
