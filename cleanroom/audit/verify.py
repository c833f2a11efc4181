"""Offline verification of an exported audit log with only the server's public key.

Each line is checked on its own (parse, hash over the content, Ed25519 signature) on
every core, since the signature check dominates (~0.1 ms, GIL held); the chain (sequence
numbers, previous-hash links, the signed head) is then walked in order, so the first
bad line is reported exactly.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from cleanroom.audit.chain import (
    ENTRY_CONTEXT,
    GENESIS_HASH,
    AuditRecord,
    entry_hash,
    head_message,
)
from protocols.encoding import b64url_decode
from protocols.workers import map_shares

#: Logs with fewer lines than this are checked in one process.
PARALLEL_MINIMUM = 4_000


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


@dataclass(frozen=True)
class _Line:
    """What can be known of one line without its neighbours."""

    problem: str | None = None
    head: dict[str, Any] | None = None
    seq: int = 0
    prev_hash: str = ""
    entry_hash: str = ""
    hash_ok: bool = False
    signed: bool = False


def _signature_ok(key: Ed25519PublicKey, signature: str, message: bytes) -> bool:
    try:
        key.verify(b64url_decode(signature), message)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def _check_line(text: str, key: Ed25519PublicKey) -> _Line:
    try:
        record = json.loads(text)
    except json.JSONDecodeError:
        return _Line(problem="not a JSON record")
    if not isinstance(record, dict):
        return _Line(problem="not a JSON record")
    if record.get("type") == "head":
        return _Line(head=record)
    try:
        entry = AuditRecord.from_json(record)
    except TypeError:
        return _Line(problem="not an audit entry (unknown or missing fields)")
    return _Line(
        seq=entry.seq,
        prev_hash=entry.prev_hash,
        entry_hash=entry.entry_hash,
        hash_ok=entry_hash(entry) == entry.entry_hash,
        signed=_signature_ok(key, entry.signature, ENTRY_CONTEXT + entry.entry_hash.encode()),
    )


def _check_share(lines: pa.StringArray, key_raw: bytes) -> list[_Line]:
    key = Ed25519PublicKey.from_public_bytes(key_raw)
    return [_check_line(text, key) for text in lines.to_pylist()]


def check_lines(lines: list[str], key: Ed25519PublicKey) -> list[_Line]:
    """Every line checked on its own, on every core for long logs."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    shares = map_shares(_check_share, pa.array(lines, pa.string()), (raw,), PARALLEL_MINIMUM)
    return [checked for share in shares for checked in share]


class _Bad(Exception):
    def __init__(self, problem: str, seq: int | None = None) -> None:
        super().__init__(problem)
        self.problem, self.seq = problem, seq


def _check_link(line: _Line, expected_seq: int, prev: str) -> None:
    seq = line.seq
    if not line.signed:
        raise _Bad("signature does not verify with this public key (forged or re-signed)", seq)
    if not line.hash_ok:
        raise _Bad("content does not match its hash (entry edited)", seq)
    if seq > expected_seq:
        raise _Bad(f"expected seq {expected_seq}: entries deleted or reordered", seq)
    if seq < expected_seq:
        raise _Bad(f"expected seq {expected_seq}: entry out of order or duplicated", seq)
    if line.prev_hash != prev:
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
    """Verify an export: every entry's signature, hash and link, then the signed head.

    Reports the first bad line; anything after the head record is ignored.
    """
    numbered = [(n, text) for n, text in enumerate(lines, start=1) if text.strip()]
    checked = check_lines([text for _, text in numbered], key)
    expected_seq, prev, count, line_no = 1, GENESIS_HASH, 0, 0
    try:
        for (line_no, _), line in zip(numbered, checked, strict=True):  # noqa: B007 (used below)
            if line.problem is not None:
                raise _Bad(line.problem)
            if line.head is not None:
                _check_head(line.head, expected_seq - 1, prev, key)
                return VerifyReport(ok=True, entries=count)
            _check_link(line, expected_seq, prev)
            expected_seq, prev, count = line.seq + 1, line.entry_hash, count + 1
    except _Bad as bad:
        return VerifyReport(False, count, line=line_no, seq=bad.seq, problem=bad.problem)
    last_line = numbered[-1][0] if numbered else 0
    problem = "no signed head record at the end (file truncated)"
    return VerifyReport(False, count, line=last_line + 1, problem=problem)
