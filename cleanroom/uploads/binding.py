"""A token file must be made for this collaboration under its current match key.

The agent writes the collaboration id and each token column's key check value into the
Parquet metadata (:mod:`protocols.binding`); the match key's creator registered the key
check values when it posted the wrapped key. A file that names another collaboration,
names none, or carries another key's check value is refused before anything is stored:
its tokens would match nothing, and a query over them would still be charged.
"""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from cleanroom.errors import TokenFileMismatch
from cleanroom.storage.models import WrappedMatchKey
from protocols.binding import read_binding
from protocols.tokens import META_FAMILY

RETOKENIZE = "run 'party-agent keys fetch' and tokenize the file again for this collaboration"


def registered_key_checks(session: Session, collaboration_id: str) -> dict[str, str] | None:
    """The key check values of the newest match-key generation (``None`` before any)."""
    query = (
        select(WrappedMatchKey.key_checks)
        .where(WrappedMatchKey.collaboration_id == collaboration_id)
        .order_by(WrappedMatchKey.generation.desc())
        .limit(1)
    )
    checks = session.scalar(query)
    return dict(checks) if checks is not None else None


def check_binding(
    schema: pa.Schema,
    collaboration_id: str,
    registered: Mapping[str, str] | None,
    *,
    keyed: bool = True,
) -> None:
    """Refuse a token file not bound to ``collaboration_id`` and its registered key.

    ``keyed=False`` (protocol v2: no shared match key, each party's own scalar) checks
    the collaboration only; each column's key check value names the uploader's scalar."""
    binding = read_binding(schema)
    if not binding.key_checks:
        return
    if binding.collaboration is None:
        raise TokenFileMismatch(f"the file does not name its collaboration; {RETOKENIZE}")
    if binding.collaboration != collaboration_id:
        raise TokenFileMismatch(f"the file was made for another collaboration; {RETOKENIZE}")
    if not keyed:
        return
    if registered is None:
        raise TokenFileMismatch(
            "no match key is registered in this collaboration yet, so its tokens cannot be "
            "checked; a party_admin posts the match key first ('party-agent keys create')"
        )
    for field in schema:
        family = (field.metadata or {}).get(META_FAMILY)
        if family is None:
            continue
        found = binding.key_checks.get(field.name)
        if found is None or found != registered.get(family.decode(errors="replace")):
            raise TokenFileMismatch(
                f"column {field.name!r} was made with another match key than this "
                f"collaboration's current one; {RETOKENIZE}"
            )
