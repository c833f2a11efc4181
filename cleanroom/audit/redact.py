"""Submitted values cut out of text: the pure core of refusals that never echo a request.

Used where a refusal is composed (:mod:`cleanroom.server.scrub` for problem+json) and
where one is recorded (``query.denied`` audit entries, :mod:`cleanroom.query.audit_entries`),
so both cut the same values by the same rule:

- every short submitted value (a path or query parameter, a string of the JSON body, a
  JSON object key that is not a field name of the API, a value of a domain request) is
  cut wherever it appears as a whole word;
- any quoted span (``'...'``, ``"..."`` or backticks) whose content occurs anywhere in
  what was submitted (a policy YAML text, for example) is cut too.

A cut is replaced by :data:`REDACTED`. Words the API itself defines (kinds, templates,
families, presets, roles) are left in place.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from policies import PRESETS, Attribution, Template
from protocols import FAMILIES, DatasetKind

REDACTED = "(submitted value)"
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
