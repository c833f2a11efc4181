"""The one translation point from exceptions to ``application/problem+json`` (RFC 9457)."""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from cleanroom.errors import CleanRoomError, Conflict, RequestInvalid, ServerBusy
from cleanroom.server.scrub import (
    RememberJsonBody,
    Submitted,
    api_field_names,
    scrub,
    scrub_value,
    submitted_of,
)
from protocols import PROBLEM_PREFIX

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("cleanroom")

_HTTP_SLUGS = {404: "not-found", 405: "method-not-allowed", 401: "unauthenticated"}


RACE_DETAIL = "a concurrent request changed the same record; read it again and retry"
#: Seconds a client is told to wait after a 503 caused by a busy database.
DB_BUSY_RETRY_AFTER = 1


def problem(
    status: int,
    slug: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_PREFIX + slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


#: RFC 6750: a 401 names the scheme the client must use.
WWW_AUTHENTICATE = 'Bearer realm="cleanroom"'


def problem_from(
    error: CleanRoomError,
    retry_after: int | None = None,
    submitted: Submitted | None = None,
) -> JSONResponse:
    """The problem for ``error``; with ``submitted``, every value the request carried is
    cut out of its detail and extension members (never echo a submitted value)."""
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    if error.status == 401:
        headers["WWW-Authenticate"] = WWW_AUTHENTICATE
    detail, extra = error.detail, error.extra
    if submitted is not None:
        detail = scrub(detail, submitted)
        extra = {name: scrub_value(value, submitted) for name, value in extra.items()}
    return problem(error.status, error.slug, error.title, detail, headers, **extra)


def database_busy(error: Exception) -> bool:
    """The pool had no connection in time, or SQLite's write lock stayed taken."""
    if isinstance(error, PoolTimeout):
        return True
    return isinstance(error, OperationalError) and "database is locked" in str(error)


def _validation_detail(error: RequestValidationError) -> str:
    """Where the request is wrong, never the submitted value (it may be sensitive)."""
    parts = []
    for item in error.errors()[:5]:
        where = ".".join(str(p) for p in item.get("loc", ()))
        parts.append(f"{where}: {item.get('msg', 'invalid')}")
    return "; ".join(parts) or "request does not match its schema"


def _field_names(app: FastAPI) -> frozenset[str]:
    names: frozenset[str] | None = getattr(app.state, "field_names", None)
    if names is None:
        names = app.state.field_names = api_field_names(app.openapi())
    return names


def allowed_methods(request: Request) -> list[str]:
    """Every method the API takes at this path, read from the OpenAPI document (Starlette
    names only the first matching route's methods, and routes are one per method)."""
    path = request.url.path
    methods: set[str] = set()
    for template, operations in request.app.openapi().get("paths", {}).items():
        if re.fullmatch(re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template)), path):
            methods.update(method.upper() for method in operations)
    return sorted(methods)


def install_handlers(app: FastAPI) -> None:
    """The exception handlers, and the middleware that lets them cut submitted values."""
    app.add_middleware(RememberJsonBody)

    @app.exception_handler(CleanRoomError)
    async def on_domain_error(request: Request, error: CleanRoomError) -> JSONResponse:
        submitted = submitted_of(request.scope, _field_names(request.app))
        if error.status >= 500:
            log.error("internal error: %s", scrub(error.detail, submitted))
        return problem_from(error, submitted=submitted)

    @app.exception_handler(RequestValidationError)
    async def on_invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        submitted = submitted_of(request.scope, _field_names(request.app), error.body)
        return problem_from(RequestInvalid(_validation_detail(error)), submitted=submitted)

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        slug = _HTTP_SLUGS.get(error.status_code, f"http-{error.status_code}")
        detail = str(error.detail)
        headers = dict(error.headers or {})
        if error.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request))
        return problem(error.status_code, slug, detail, detail, headers)

    @app.exception_handler(Exception)
    async def on_bug(_: Request, error: Exception) -> JSONResponse:
        if isinstance(error, IntegrityError):  # a race the route did not expect: retryable
            log.warning("integrity conflict: %s", type(error.orig).__name__)
            return problem_from(Conflict(RACE_DETAIL))
        if database_busy(error):
            log.warning("database busy: %s", type(error).__name__)
            busy = ServerBusy("the database is busy; retry shortly")
            return problem_from(busy, retry_after=DB_BUSY_RETRY_AFTER)
        log.exception("unhandled error (a bug)", exc_info=error)
        return problem(
            500,
            "internal-error",
            "Internal error",
            "the server hit a bug; the operator's log has the details",
        )


PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details; `type` is urn:cleanroom:problem:<slug>.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "example": "urn:cleanroom:problem:forbidden"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
    },
    "additionalProperties": True,
}


def document_problems(app: FastAPI) -> None:
    """Make ``/openapi.json`` say what the server really sends on errors: problem+json."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        spec = build()
        schemas = spec.setdefault("components", {}).setdefault("schemas", {})
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        schemas["Problem"] = PROBLEM_SCHEMA
        ref = {"$ref": "#/components/schemas/Problem"}
        for operations in spec.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                responses.pop("422", None)
                responses["default"] = {
                    "description": "Any refusal, as application/problem+json",
                    "content": {PROBLEM_JSON: {"schema": ref}},
                }
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented override
