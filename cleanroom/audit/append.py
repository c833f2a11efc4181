"""The audit hook: one function every state-changing route calls inside its transaction.

``record`` seals an entry into its collaboration's hash chain (``cleanroom.audit``)
with the server's signing key (``session.info["signing_key"]``) and adds it to the
caller's session: it is committed or rolled back together with the action. ``details``
hold no raw value, token or key material: names, counts, digests and reasons only.

Appends to one chain are serialized by its head row (``AuditHead``): the first statement
is an insert-if-absent of that row, which on SQLite takes the database's write lock and
on PostgreSQL is followed by a ``FOR UPDATE`` row lock, so two transactions can never
both extend the chain from the same previous entry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cleanroom.audit.chain import GENESIS_HASH, AuditRecord, Outcome, seal_entry
from cleanroom.errors import InternalError
from cleanroom.storage.clock import session_now
from cleanroom.storage.db import insert_if_absent
from cleanroom.storage.models import AuditEntry, AuditHead

#: Detail keys that are first-class fields of a sealed record (docs/reference/audit-log.md).
PROMOTED = (
    "outcome",
    "policy_hash",
    "request_digest",
    "epsilon_charged",
    "budget_left",
    "rows_suppressed",
    "result_digest",
)


def canonical_json(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_of(collaboration_id: str | None) -> str:
    """The chain an entry belongs to: its collaboration, or ``""`` for server-wide ones."""
    return collaboration_id or ""


def _field(value: Any) -> Any:
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}" if value.denominator != 1 else str(value)
    return value


def _signing_key(session: Session) -> Ed25519PrivateKey:
    key = session.info.get("signing_key")
    if not isinstance(key, Ed25519PrivateKey):
        raise InternalError("the session has no server signing key to seal audit entries")
    return key


def _lock_head(session: Session, chain: str) -> tuple[int, str]:
    """Next sequence number and previous hash of ``chain``, holding its head row."""
    insert_if_absent(
        session, AuditHead, ["chain"], {"chain": chain, "last_seq": 0, "last_hash": GENESIS_HASH}
    )
    head = session.execute(
        select(AuditHead.last_seq, AuditHead.last_hash)
        .where(AuditHead.chain == chain)
        .with_for_update()
    ).one()
    return head.last_seq + 1, head.last_hash


def _outcome_of(action: str) -> Outcome:
    """``query.denied`` -> ``denied``, ``dataset.rejected`` -> ``rejected``, else ``ok``."""
    suffix = action.rsplit(".", 1)[-1]
    ended = (Outcome.DENIED, Outcome.REJECTED, Outcome.FAILED)
    return Outcome(suffix) if suffix in ended else Outcome.OK


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    collaboration_id: str | None,
    details: Mapping[str, object] | None = None,
) -> AuditEntry:
    """Seal one audit entry into its chain and add it to ``session`` (same transaction)."""
    body: dict[str, Any] = json.loads(canonical_json(dict(details or {})))
    promoted = {k: _field(body.pop(k)) for k in PROMOTED if body.get(k) is not None}
    promoted.setdefault("outcome", _outcome_of(action))
    chain = chain_of(collaboration_id)
    seq, prev = _lock_head(session, chain)
    now = session_now(session)
    sealed = seal_entry(
        AuditRecord(
            seq=seq,
            time=utc_text(now),
            actor=actor,
            action=action,
            collaboration=chain,
            details=body,
            **promoted,
        ),
        prev,
        _signing_key(session),
    )
    entry = AuditEntry(
        time=now,
        actor=actor,
        action=action,
        collaboration_id=collaboration_id,
        details=body,
        details_digest=hashlib.sha256(canonical_json(body)).hexdigest(),
        chain=chain,
        chain_seq=seq,
        outcome=str(promoted["outcome"]),
        prev_hash=prev,
        entry_hash=sealed.entry_hash,
        signature=sealed.signature,
        record_json=sealed.to_json(),
    )
    session.add(entry)
    session.execute(
        update(AuditHead)
        .where(AuditHead.chain == chain)
        .values(last_seq=seq, last_hash=sealed.entry_hash)
    )
    return entry
