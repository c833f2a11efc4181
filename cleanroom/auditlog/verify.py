"""Offline verification of an exported audit log with only the server's public key."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from cleanroom.auditlog.chain import (
    ENTRY_CONTEXT,
    GENESIS_HASH,
    AuditEntry,
    entry_hash,
    head_message,
)


@dataclass(frozen=True)
class VerifyReport:
    """``ok`` with the entry count, or the first bad line and why."""

    ok: bool
    entries: int
    line: int | None = None
    seq: int | None = None
    problem: str | None = None

    def summary(self) -> str:
        if self.ok:
            return f"OK: {self.entries} entries, chain and signatures verified"
        where = f"line {self.line}" + (f" (seq {self.seq})" if self.seq is not None else "")
        return f"FAILED at {where}: {self.problem}"


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)


def _signature_ok(key: Ed25519PublicKey, signature: str, message: bytes) -> bool:
    try:
        key.verify(_unb64(signature), message)
    except (InvalidSignature, ValueError):
        return False
    return True


class _Bad(Exception):
    def __init__(self, problem: str, seq: int | None = None) -> None:
        super().__init__(problem)
        self.problem, self.seq = problem, seq


def _check_entry(entry: AuditEntry, expected_seq: int, prev: str, key: Ed25519PublicKey) -> None:
    seq = entry.seq
    if not _signature_ok(key, entry.signature, ENTRY_CONTEXT + entry.entry_hash.encode()):
        raise _Bad("signature does not verify with this public key (forged or re-signed)", seq)
    if entry_hash(entry) != entry.entry_hash:
        raise _Bad("content does not match its hash (entry edited)", seq)
    if seq > expected_seq:
        raise _Bad(f"expected seq {expected_seq}: entries deleted or reordered", seq)
    if seq < expected_seq:
        raise _Bad(f"expected seq {expected_seq}: entry out of order or duplicated", seq)
    if entry.prev_hash != prev:
        raise _Bad("previous-hash link broken (entry inserted or reordered)", seq)


def _check_head(record: dict[str, Any], last_seq: int, last: str, key: Ed25519PublicKey) -> None:
    message = head_message(
        str(record.get("collaboration", "")),
        int(record.get("last_seq", -1)),
        str(record.get("last_hash", "")),
        str(record.get("exported_at", "")),
    )
    if not _signature_ok(key, str(record.get("signature", "")), message):
        raise _Bad("head record signature does not verify")
    if record.get("last_seq") != last_seq or record.get("last_hash") != last:
        raise _Bad(
            f"head record names seq {record.get('last_seq')} but the log ends at seq "
            f"{last_seq} (entries cut off the end)"
        )


def verify_lines(lines: Iterable[str], key: Ed25519PublicKey) -> VerifyReport:
    """Verify an export: every entry's signature, hash and link, then the signed head."""
    expected_seq, prev, count, line_no = 1, GENESIS_HASH, 0, 0
    try:
        for line_no, line in enumerate(lines, start=1):  # noqa: B007 (reported after the loop)
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                raise _Bad("not a JSON record") from None
            if record.get("type") == "head":
                _check_head(record, expected_seq - 1, prev, key)
                return VerifyReport(ok=True, entries=count)
            try:
                entry = AuditEntry.from_json(record)
            except TypeError:
                raise _Bad("not an audit entry (unknown or missing fields)") from None
            _check_entry(entry, expected_seq, prev, key)
            expected_seq, prev, count = entry.seq + 1, entry.entry_hash, count + 1
    except _Bad as bad:
        return VerifyReport(False, count, line=line_no, seq=bad.seq, problem=bad.problem)
    problem = "no signed head record at the end (file truncated)"
    return VerifyReport(False, count, line=line_no + 1, problem=problem)
