"""Known answers for the byte-level agreements of protocols.messages (see protocol.md)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from protocols import (
    HASH_BLOCK,
    PROBLEM_PREFIX,
    approval_message,
    file_sha256,
    match_key_message,
)


def test_policy_approval_message_bytes() -> None:
    expected = b"cleanroom policy approval v1|col_1|" + b"ab" * 32
    assert approval_message("col_1", "ab" * 32) == expected


def test_match_key_message_bytes() -> None:
    fingerprint = "0123 " * 7 + "4567"
    expected = b"cleanroom match-key v1|col_1|" + fingerprint.encode()
    assert match_key_message("col_1", fingerprint) == expected


def test_problem_type_prefix() -> None:
    assert PROBLEM_PREFIX == "urn:cleanroom:problem:"


def test_file_hash_is_sha256_of_the_whole_file_across_blocks(tmp_path: Path) -> None:
    data = bytes(range(256)) * (HASH_BLOCK // 256 * 2 + 7)
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    assert len(data) > 2 * HASH_BLOCK
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()


def test_roster_bytes_digest_and_message() -> None:
    from protocols import RosterEntry, roster_bytes, roster_digest, roster_message

    fp_x, fp_e = "0123 " * 7 + "4567", "89ab " * 7 + "cdef"
    shop = RosterEntry("shop", "mem_2", fp_x, fp_e)
    brand = RosterEntry("brand", "mem_1", fp_e, fp_x)
    expected = (
        f"cleanroom key roster v1\ncol_1\n3\nmem_1|brand|{fp_e}|{fp_x}\nmem_2|shop|{fp_x}|{fp_e}"
    ).encode()
    assert roster_bytes("col_1", 3, [shop, brand]) == expected  # sorted by party
    digest = hashlib.sha256(expected).hexdigest()
    assert roster_digest("col_1", 3, [brand, shop]) == digest
    assert (
        roster_message("col_1", 3, digest) == f"cleanroom key roster v1|col_1|3|{digest}".encode()
    )


def test_a_roster_field_cannot_smuggle_a_separator() -> None:
    import pytest

    from protocols import RosterEntry, roster_bytes

    with pytest.raises(ValueError, match="may not contain"):
        roster_bytes("c", 1, [RosterEntry("a|b", "m", "x", "e")])
