"""Offline verification of an exported audit log with only the server's public key."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from cleanroom.auditlog.chain import (
    ENTRY_CONTEXT,
    GENESIS_HASH,
    AuditRecord,
    entry_hash,
    head_message,
)
from protocols.workers import map_shares

#: Logs with fewer entries than this verify their signatures in one process.
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


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)


def _signature_ok(key: Ed25519PublicKey, signature: str, message: bytes) -> bool:
    try:
        key.verify(_unb64(signature), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def _signatures_ok_raw(pairs: pa.StructArray, key_raw: bytes) -> list[bool]:
    """Worker side: check (entry_hash, signature) pairs against the raw public key."""
    key = Ed25519PublicKey.from_public_bytes(key_raw)
    hashes, signatures = pairs.field("hash").to_pylist(), pairs.field("sig").to_pylist()
    return [
        _signature_ok(key, sig, ENTRY_CONTEXT + digest.encode())
        for digest, sig in zip(hashes, signatures, strict=True)
    ]


def entry_signatures_ok(key: Ed25519PublicKey, entries: Sequence[AuditRecord]) -> list[bool]:
    """Whether each entry's signature verifies, checked on every core for long logs."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    pairs = pa.StructArray.from_arrays(
        [
            pa.array([entry.entry_hash for entry in entries], pa.string()),
            pa.array([entry.signature for entry in entries], pa.string()),
        ],
        names=["hash", "sig"],
    )
    shares = map_shares(_signatures_ok_raw, pairs, (raw,), PARALLEL_MINIMUM)
    return [ok for share in shares for ok in share]


class _Bad(Exception):
    def __init__(self, problem: str, seq: int | None = None, line: int | None = None) -> None:
        super().__init__(problem)
        self.problem, self.seq, self.line = problem, seq, line


def _check_entry(entry: AuditRecord, signed: bool, expected_seq: int, prev: str) -> None:
    seq = entry.seq
    if not signed:
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


def _parse(lines: Iterable[str]) -> tuple[list[tuple[int, AuditRecord]], tuple[int, Any] | None]:
    """Entries with their line numbers, and the head record (if any) with its line."""
    entries: list[tuple[int, AuditRecord]] = []
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            raise _Bad("not a JSON record", line=line_no) from None
        if record.get("type") == "head":
            return entries, (line_no, record)
        try:
            entries.append((line_no, AuditRecord.from_json(record)))
        except TypeError:
            raise _Bad("not an audit entry (unknown or missing fields)", line=line_no) from None
    return entries, None


def verify_lines(lines: Iterable[str], key: Ed25519PublicKey) -> VerifyReport:
    """Verify an export: every entry's signature, hash and link, then the signed head.

    Reports the first bad line; anything after the head record is ignored.
    """
    expected_seq, prev, count = 1, GENESIS_HASH, 0
    try:
        entries, head = _parse(lines)
        signed = entry_signatures_ok(key, [entry for _, entry in entries])
        for (line_no, entry), ok in zip(entries, signed, strict=True):
            try:
                _check_entry(entry, ok, expected_seq, prev)
            except _Bad as bad:
                bad.line = line_no
                raise
            expected_seq, prev, count = entry.seq + 1, entry.entry_hash, count + 1
        last_line = entries[-1][0] if entries else 0
        if head is None:
            raise _Bad("no signed head record at the end (file truncated)", line=last_line + 1)
        try:
            _check_head(head[1], expected_seq - 1, prev, key)
        except _Bad as bad:
            bad.line = head[0]
            raise
    except _Bad as bad:
        return VerifyReport(False, count, line=bad.line, seq=bad.seq, problem=bad.problem)
    return VerifyReport(ok=True, entries=count)
