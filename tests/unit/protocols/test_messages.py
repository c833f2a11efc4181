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
