"""Refusals never quote what the caller sent: submitted values are cut out of problem details.

Messages are written to name fields, columns, counts and reasons, but many are composed
from parts of the request (an unknown field name, a window, a join family, a policy
line, an id in the path). Rather than trusting every message at every call site, the
one translation point (:mod:`cleanroom.server.problems`) passes each detail through
:func:`scrub` (its pure core is :mod:`cleanroom.audit.redact`, shared with the audit
entries of denied queries) with what the request carried:

- every path and query parameter value, every short string value of the JSON body and
  every JSON object key that is not a field name of the API is cut out wherever it
  appears as a whole word;
- any quoted span (``'...'``, ``"..."`` or backticks) whose content occurs anywhere in
  what was submitted (a policy YAML text, for example) is cut out too.

A cut is replaced by ``(submitted value)``; extension members of a problem (a denial's
``reasons``) are scrubbed the same way (:func:`scrub_value`). JSON bodies are kept for this by
:class:`RememberJsonBody` (up to :data:`MAX_REMEMBERED` bytes; chunk uploads are binary
and never kept).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cleanroom.audit.redact import REDACTED, VOCABULARY, Submitted, scrub, scrub_value

__all__ = [
    "MAX_REMEMBERED",
    "REDACTED",
    "SCOPE_KEY",
    "VOCABULARY",
    "RememberJsonBody",
    "Submitted",
    "api_field_names",
    "scrub",
    "scrub_value",
    "submitted_of",
]

MAX_REMEMBERED = 1024 * 1024
SCOPE_KEY = "cleanroom.json_body"


def submitted_of(scope: Scope, field_names: frozenset[str], body: Any = None) -> Submitted:
    """Path and query parameters of ``scope``, and its remembered (or given) JSON body."""
    found = Submitted(field_names)
    found.add(dict(scope.get("path_params") or {}))
    query = scope.get("query_string", b"").decode(errors="replace")
    for pair in query.split("&"):
        found.add(pair.partition("=")[2])
    if body is None:
        raw = scope.get(SCOPE_KEY)
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode(errors="replace")
    found.add(body)
    return found


class RememberJsonBody:
    """ASGI middleware: keeps a copy of small JSON request bodies in the scope for
    :func:`scrub` (the route still reads the body as usual)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        kept = bytearray()

        async def remembering() -> Message:
            message = await receive()
            if message["type"] == "http.request" and len(kept) < MAX_REMEMBERED:
                kept.extend(message.get("body", b""))
                scope[SCOPE_KEY] = bytes(kept)
            return message

        await self.app(scope, remembering, send)


def api_field_names(openapi: Mapping[str, Any]) -> frozenset[str]:
    """Every property name of every schema of the API (what a JSON key may rightly be)."""
    schemas = openapi.get("components", {}).get("schemas", {})
    return frozenset(name for schema in schemas.values() for name in schema.get("properties", {}))


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers") or ():
        if name == b"content-type":
            return b"json" in value.lower()
    return False
