"""Token columns: version tags, alignment with the input, rejected counts."""

from __future__ import annotations

from collections import Counter

import pyarrow as pa
import pytest

from protocols import (
    TOKEN_TYPE,
    IdType,
    MatchKey,
    Reason,
    Tokenizer,
    UnknownIdentifierType,
    UnsupportedVersion,
    check_token_field,
    hmac_batch,
    token_field,
)

KEY = MatchKey(bytes(range(32)))


def test_token_column_is_aligned_and_counts_rejections_by_reason() -> None:
    raw = pa.array(["a@example.com", None, "nope", "  A@Example.com ", "b@@x.com"])
    column = Tokenizer(KEY, "c", parallel=False).tokenize_array(IdType.EMAIL, raw)
    tokens = column.tokens.to_pylist()
    assert column.tokens.type == TOKEN_TYPE
    assert tokens[0] is not None and tokens[0] == tokens[3]
    assert tokens[1] is None and tokens[2] is None and tokens[4] is None
    assert column.rejected == Counter(
        {Reason.EMPTY: 1, Reason.NO_AT_SIGN: 1, Reason.MULTIPLE_AT_SIGNS: 1}
    )
    assert column.valid_count == 2


def test_chunked_and_dictionary_inputs_are_accepted() -> None:
    tokenizer = Tokenizer(KEY, "c", parallel=False)
    plain = tokenizer.tokenize_array(IdType.EMAIL, pa.array(["a@x.com", "b@x.com", "a@x.com"]))
    chunked = pa.chunked_array([["a@x.com"], ["b@x.com", "a@x.com"]])
    assert tokenizer.tokenize_array(IdType.EMAIL, chunked).tokens == plain.tokens
    encoded = pa.array(["a@x.com", "b@x.com", "a@x.com"]).dictionary_encode()
    assert tokenizer.tokenize_array(IdType.EMAIL, encoded).tokens == plain.tokens


def test_parallel_hashing_equals_serial(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hmac_batch, "PARALLEL_THRESHOLD", 10)
    raw = pa.array([f"user{i}@example.com" for i in range(5_000)])
    serial = Tokenizer(KEY, "c", parallel=False).tokenize_array(IdType.EMAIL, raw)
    parallel = Tokenizer(KEY, "c", parallel=True).tokenize_array(IdType.EMAIL, raw)
    assert parallel.tokens == serial.tokens


def test_different_collaborations_and_families_give_different_tokens() -> None:
    one = Tokenizer(KEY, "collab-1").token(IdType.CUSTOMER_ID, "42")
    two = Tokenizer(KEY, "collab-2").token(IdType.CUSTOMER_ID, "42")
    maid_like = Tokenizer(KEY, "collab-1").token(IdType.EMAIL, "42@x.com")
    assert len({one, two, maid_like}) == 3


def test_token_field_carries_version_and_family() -> None:
    field = token_field("email")
    assert field.name == "token_email"
    assert check_token_field(field) == "email"


def test_untagged_or_foreign_token_columns_are_rejected() -> None:
    with pytest.raises(UnsupportedVersion, match="token version 'none'"):
        check_token_field(pa.field("token_email", TOKEN_TYPE))
    tagged_v9 = pa.field("token_email", TOKEN_TYPE, metadata={"cleanroom.token_version": "v9/x"})
    with pytest.raises(UnsupportedVersion, match="'v9/x'"):
        check_token_field(tagged_v9)
    wrong_type = token_field("email").with_type(pa.binary())
    with pytest.raises(UnsupportedVersion, match="fixed_size_binary"):
        check_token_field(wrong_type)


def test_unknown_identifier_type_names_the_known_ones() -> None:
    with pytest.raises(UnknownIdentifierType, match="unknown identifier type 'fax'; expected"):
        IdType.parse("fax")
