"""Refusals never quote what the caller sent: submitted values are cut out of problem details.

Messages are written to name fields, columns, counts and reasons, but many are composed
from parts of the request (an unknown field name, a window, a join family, a policy
line, an id in the path). Rather than trusting every message at every call site, the
one translation point (:mod:`cleanroom.server.problems`) passes each detail through
:func:`scrub` with what the request carried:

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
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from policies import PRESETS, Attribution, Template
from protocols import FAMILIES, DatasetKind

REDACTED = "(submitted value)"
MAX_REMEMBERED = 1024 * 1024
SCOPE_KEY = "cleanroom.json_body"
#: Shorter values would cut ordinary words out of messages and reveal next to nothing.
MIN_LENGTH = 3
MAX_SCALAR = 300
#: Words the API itself defines (kinds, templates, families, roles, ...): naming them back
#: tells the caller nothing it did not choose from a documented list.
_ROLES = ("admin", "party_admin", "analyst", "auditor")
VOCABULARY = frozenset(
    [*DatasetKind, *Template, *Attribution, *FAMILIES, *PRESETS, *_ROLES, "latest", "current"]
)
_QUOTED = re.compile(r"'([^']*)'|\"([^\"]*)\"|`([^`]*)`")


@dataclass
class Submitted:
    """What one request carried: short values (cut as whole words) and long texts;
    ``field_names`` are the API's own (object keys among them are not cut)."""

    field_names: frozenset[str] = frozenset()
    scalars: set[str] = field(default_factory=set)
    texts: list[str] = field(default_factory=list)

    def add(self, value: Any) -> None:
        if isinstance(value, Mapping):
            for key, item in value.items():
                if str(key) not in self.field_names:
                    self.add(str(key))
                self.add(item)
        elif isinstance(value, list | tuple):
            for item in value:
                self.add(item)
        elif isinstance(value, str | int | float) and not isinstance(value, bool):
            text = str(value)
            if len(text) <= MAX_SCALAR and "\n" not in text:
                self.scalars.add(text)
            self.texts.append(text)


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


def scrub(detail: str, submitted: Submitted) -> str:
    """``detail`` with every submitted value cut out."""
    texts = [t for t in submitted.texts if t]

    def quoted(match: re.Match[str]) -> str:
        content = next(g for g in match.groups() if g is not None)
        if content in VOCABULARY or len(content) < MIN_LENGTH:
            return match.group(0)
        if any(content in text for text in texts):
            return REDACTED
        return match.group(0)

    detail = _QUOTED.sub(quoted, detail)
    for value in sorted(_cuttable(submitted.scalars), key=len, reverse=True):
        detail = re.sub(rf"(?<![\w-]){re.escape(value)}(?![\w-])", REDACTED, detail)
    return detail


def scrub_value(value: Any, submitted: Submitted) -> Any:
    """:func:`scrub` applied to every string inside ``value`` (problem extension members)."""
    if isinstance(value, str):
        return scrub(value, submitted)
    if isinstance(value, Mapping):
        return {key: scrub_value(item, submitted) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_value(item, submitted) for item in value]
    return value


def _cuttable(values: Iterable[str]) -> set[str]:
    return {
        v for v in values if len(v.strip()) >= MIN_LENGTH and v != REDACTED and v not in VOCABULARY
    }


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
