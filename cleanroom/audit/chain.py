"""Canonical form, hash chain and signatures of audit entries (format v1).

One chain per collaboration (collaboration ``""`` holds server-wide actions), so an
auditor can export and verify one collaboration on its own.

    canonical(entry) = UTF-8 JSON of every field except ``entry_hash`` and
                       ``signature``, keys sorted, separators ``,`` and ``:``,
                       non-ASCII kept as is, no floats (epsilon is an exact
                       fraction string like "1/2")
    entry_hash       = lowercase hex SHA-256(canonical(entry))
    signature        = base64url Ed25519 signature over
                       "cleanroom audit v1|" + entry_hash
    prev_hash        = entry_hash of the previous entry of the chain, or 64 zeros

An export ends with a signed *head* record naming the last sequence number and hash, so
cutting entries off the end is detected too. ``docs/reference/audit-log.md`` restates
this for independent verifiers.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, fields, replace
from enum import StrEnum
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from protocols.encoding import b64url_encode

FORMAT = "cleanroom-audit/v1"
GENESIS_HASH = "0" * 64
ENTRY_CONTEXT = b"cleanroom audit v1|"
HEAD_CONTEXT = b"cleanroom audit head v1|"


class Outcome(StrEnum):
    """How the recorded action ended."""

    OK = "ok"
    GRANTED = "granted"
    REPEAT = "repeat"
    DENIED = "denied"
    REJECTED = "rejected"
    FAILED = "failed"


@dataclass(frozen=True)
class AuditRecord:
    """One audit record. ``details`` holds digests and counts, never raw values."""

    seq: int
    time: str
    actor: str
    action: str
    collaboration: str
    outcome: str = Outcome.OK
    policy_hash: str | None = None
    request_digest: str | None = None
    epsilon_charged: str | None = None
    budget_left: str | None = None
    rows_suppressed: int | None = None
    result_digest: str | None = None
    details: dict[str, Any] | None = None
    prev_hash: str = GENESIS_HASH
    entry_hash: str = ""
    signature: str = ""

    def as_dict(self) -> dict[str, Any]:
        """Field values by name (``details`` is shared, not copied: entries are frozen)."""
        return {name: getattr(self, name) for name in _FIELD_NAMES}

    def to_json(self) -> str:
        return json.dumps({"type": "entry", **self.as_dict()}, sort_keys=True, ensure_ascii=False)

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> AuditRecord:
        fields = {k: v for k, v in record.items() if k != "type"}
        return cls(**fields)


_FIELD_NAMES = tuple(f.name for f in fields(AuditRecord))


def canonical_bytes(entry: AuditRecord) -> bytes:
    body = {k: v for k, v in entry.as_dict().items() if k not in ("entry_hash", "signature")}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(entry: AuditRecord) -> str:
    return hashlib.sha256(canonical_bytes(entry)).hexdigest()


def seal_entry(entry: AuditRecord, prev_hash: str, key: Ed25519PrivateKey) -> AuditRecord:
    """Chain ``entry`` after ``prev_hash`` and sign it with the server key."""
    chained = replace(entry, prev_hash=prev_hash, entry_hash="", signature="")
    digest = entry_hash(chained)
    signature = b64url_encode(key.sign(ENTRY_CONTEXT + digest.encode()))
    return replace(chained, entry_hash=digest, signature=signature)


def head_message(collaboration: str, last_seq: int, last_hash: str, exported_at: str) -> bytes:
    return HEAD_CONTEXT + f"{collaboration}|{last_seq}|{last_hash}|{exported_at}".encode()


def seal_head(
    collaboration: str, last_seq: int, last_hash: str, exported_at: str, key: Ed25519PrivateKey
) -> str:
    """The signed head record that closes an export (JSON line)."""
    message = head_message(collaboration, last_seq, last_hash, exported_at)
    record = {
        "type": "head",
        "format": FORMAT,
        "collaboration": collaboration,
        "last_seq": last_seq,
        "last_hash": last_hash,
        "exported_at": exported_at,
        "signature": b64url_encode(key.sign(message)),
    }
    return json.dumps(record, sort_keys=True, ensure_ascii=False)
