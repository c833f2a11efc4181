"""The audit hook: one function every state-changing route calls inside its transaction.

``record`` adds a row to the caller's session; it is committed (or rolled back) together
with the action. ``details`` must hold no raw value, token or key material: names, counts,
digests and reasons only. The hash chain and signatures (issue 6) fill ``prev_hash``,
``entry_hash`` and ``signature`` later without changing the call sites; the server's
signing key is available as ``session.info["signing_key"]`` for that.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from sqlalchemy.orm import Session

from cleanroom.models import AuditEntry


def canonical_json(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    collaboration_id: str | None,
    details: Mapping[str, object] | None = None,
) -> AuditEntry:
    """Append one audit entry to ``session`` (same transaction as the action)."""
    body = dict(details or {})
    entry = AuditEntry(
        actor=actor,
        action=action,
        collaboration_id=collaboration_id,
        details=body,
        details_digest=hashlib.sha256(canonical_json(body)).hexdigest(),
    )
    session.add(entry)
    return entry
