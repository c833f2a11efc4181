"""API tokens: format, hashing, and principals' collaboration scope."""

from __future__ import annotations

import hashlib

import pytest

from cleanroom.errors import Forbidden, UnknownCollaboration
from cleanroom.server.auth import Principal, hash_token, new_token
from cleanroom.storage.models import Role


def test_tokens_are_prefixed_random_and_hashed_with_sha256() -> None:
    first, second = new_token(), new_token()
    assert first.startswith("crt_") and len(first) == 4 + 43 and first != second
    assert hash_token(first) == hashlib.sha256(first.encode()).hexdigest()


def test_member_is_scoped_to_its_collaboration_and_role() -> None:
    analyst = Principal("tok_1", Role.ANALYST, "mem_1", "col_a", "brand")
    analyst.require_collaboration("col_a")
    with pytest.raises(UnknownCollaboration):
        analyst.require_collaboration("col_b")
    with pytest.raises(Forbidden, match="role analyst may not do this"):
        analyst.require(Role.PARTY_ADMIN)
    admin = Principal("tok_2", Role.ADMIN, None, None, None)
    admin.require_collaboration("col_b")
    assert (analyst.actor, admin.actor) == ("brand:mem_1", "admin:tok_2")
    minted = Principal("tok_3", Role.ANALYST, "mem_1", "col_a", "brand", "admin:tok_2")
    assert minted.actor == "brand:mem_1 (token tok_3, issued by admin:tok_2)"
