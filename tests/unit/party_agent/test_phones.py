"""Phone regions per row (country column) or in order: the same tokens as one region."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pyarrow as pa

from party_agent.mapping import IdentifierSpec
from party_agent.phones import tokenize_identifier
from protocols import IdType, MatchKey, NormalizeOptions, Reason, Tokenizer

TOKENIZER = Tokenizer(MatchKey(bytes(range(32))), "collab-phones", parallel=False)
JP, US, GB = "090-1234-5678", "(415) 555-2671", "020 7946 0018"


def _spec(**options: Any) -> IdentifierSpec:
    return IdentifierSpec.model_validate({"column": "phone", "type": "phone", **options})


def _token(raw: str, region: str | None) -> bytes | None:
    token = TOKENIZER.token(IdType.PHONE, raw, NormalizeOptions(region=region))
    return token if isinstance(token, bytes) else None


def test_a_country_column_reads_each_row_in_its_region() -> None:
    batch = pa.record_batch(
        {
            "phone": [JP, US, GB, GB, "+81 90 1234 5678", None],
            "country": ["JP", " us", "uk", "GB", None, "JP"],
        }
    )
    column = tokenize_identifier(TOKENIZER, _spec(country_column="country"), batch)
    assert column.tokens.to_pylist() == [
        _token(JP, "JP"),
        _token(US, "US"),
        _token(GB, "GB"),
        _token(GB, "GB"),
        _token("+819012345678", None),
        None,
    ]
    assert column.rejected == Counter({Reason.EMPTY: 1})


def test_rows_without_a_known_country_fall_back_to_the_regions() -> None:
    batch = pa.record_batch({"phone": [US, US, JP], "country": ["ZZ", None, "JP"]})
    spec = _spec(country_column="country", regions=["US"])
    column = tokenize_identifier(TOKENIZER, spec, batch)
    assert column.tokens.to_pylist() == [_token(US, "US"), _token(US, "US"), _token(JP, "JP")]


def test_regions_are_tried_in_order_and_the_first_valid_wins() -> None:
    batch = pa.record_batch({"phone": [US, JP, "07700 900123", "call me", "", None]})
    column = tokenize_identifier(TOKENIZER, _spec(regions=["US", "JP", "GB"]), batch)
    assert column.tokens.to_pylist() == [
        _token(US, "US"),
        _token(JP, "JP"),
        None,
        None,
        None,
        None,
    ]
    # Rejected in every region: the last region's reason stands.
    assert column.rejected == Counter(
        {Reason.INVALID_PHONE: 1, Reason.NOT_A_PHONE_NUMBER: 1, Reason.EMPTY: 2}
    )


def test_order_decides_between_two_valid_readings() -> None:
    """A London number is also a valid Japanese one: the earlier region wins, which is
    why a country column is the better declaration where the file has one."""
    batch = pa.record_batch({"phone": [GB]})
    first_jp = tokenize_identifier(TOKENIZER, _spec(regions=["JP", "GB"]), batch)
    first_gb = tokenize_identifier(TOKENIZER, _spec(regions=["GB", "JP"]), batch)
    assert first_jp.tokens.to_pylist() == [_token(GB, "JP")]
    assert first_gb.tokens.to_pylist() == [_token(GB, "GB")]


def test_one_region_is_the_plain_protocol_path() -> None:
    batch = pa.record_batch({"phone": [US, "555", None]})
    column = tokenize_identifier(TOKENIZER, _spec(region="US"), batch)
    direct = TOKENIZER.tokenize_array(IdType.PHONE, batch.column("phone"), NormalizeOptions("US"))
    assert column.tokens.to_pylist() == direct.tokens.to_pylist()
    assert column.rejected == direct.rejected
