"""Every kind of tampering with an exported audit log is detected and located."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cleanroom.audit import GENESIS_HASH, AuditRecord, seal_entry, seal_head, verify_lines

KEY = Ed25519PrivateKey.generate()
OTHER = Ed25519PrivateKey.generate()


def _export(n: int = 6, key: Ed25519PrivateKey = KEY) -> list[str]:
    lines, prev = [], GENESIS_HASH
    for seq in range(1, n + 1):
        entry = AuditRecord(
            seq=seq,
            time=f"2026-11-23T12:00:{seq:02d}Z",
            actor="analyst@brand",
            action="query.granted",
            collaboration="collab-1",
            epsilon_charged="1/10",
            details={"template": "overlap"},
        )
        sealed = seal_entry(entry, prev, key)
        lines.append(sealed.to_json())
        prev = sealed.entry_hash
    lines.append(seal_head("collab-1", n, prev, "2026-11-23T13:00:00Z", key))
    return lines


def _edit(lines: list[str]) -> list[str]:
    record = json.loads(lines[2])
    record["epsilon_charged"] = "1/100"
    return [*lines[:2], json.dumps(record), *lines[3:]]


def _edit_and_rehash(lines: list[str]) -> list[str]:
    entry = AuditRecord.from_json(json.loads(lines[2]))
    forged = seal_entry(
        AuditRecord(**{**entry.__dict__, "actor": "someone-else"}), entry.prev_hash, OTHER
    )
    return [*lines[:2], forged.to_json(), *lines[3:]]


TAMPERING: dict[str, tuple[Callable[[list[str]], list[str]], int, str]] = {
    "edit": (_edit, 3, "entry edited"),
    "edit and re-sign": (_edit_and_rehash, 3, "forged or re-signed"),
    "delete": (lambda ls: ls[:2] + ls[3:], 3, "deleted or reordered"),
    "reorder": (lambda ls: [ls[0], ls[2], ls[1], *ls[3:]], 2, "deleted or reordered"),
    "insert duplicate": (lambda ls: [*ls[:3], ls[1], *ls[3:]], 4, "out of order or duplicated"),
    "truncate tail with head": (lambda ls: ls[:4] + ls[6:], 5, "cut off the end"),
    "truncate tail and head": (lambda ls: ls[:4], 5, "no signed head record"),
    "re-sign everything with another key": (lambda ls: _export(key=OTHER), 1, "re-signed"),
}


def test_an_untouched_export_verifies() -> None:
    report = verify_lines(_export(), KEY.public_key())
    assert report.ok and report.entries == 6
    assert report.summary() == "OK: 6 entries, chain and signatures verified"


@pytest.mark.parametrize("name", sorted(TAMPERING))
def test_tampering_is_detected_and_located(name: str) -> None:
    tamper, line, problem = TAMPERING[name]
    report = verify_lines(tamper(_export()), KEY.public_key())
    assert not report.ok
    assert report.line == line, report.summary()
    assert problem in (report.problem or ""), report.summary()


def test_garbage_line_is_reported() -> None:
    lines = _export()
    report = verify_lines([*lines[:1], "{not json", *lines[1:]], KEY.public_key())
    assert (report.ok, report.line, report.problem) == (False, 2, "not a JSON record")


def test_parallel_signature_check_finds_the_same_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    from cleanroom.audit import verify

    monkeypatch.setattr(verify, "PARALLEL_MINIMUM", 2)
    lines = _export(n=12)
    forged = _edit_and_rehash(lines)
    report = verify_lines(forged, KEY.public_key())
    assert (report.ok, report.line, report.seq) == (False, 3, 3)
    assert verify_lines(lines, KEY.public_key()).ok
