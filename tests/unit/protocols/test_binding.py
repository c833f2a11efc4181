"""Token files name their collaboration and carry each token column's key check value."""

from __future__ import annotations

import pyarrow as pa
import pytest

from protocols import DatasetKind, MatchKey, Tokenizer, token_field
from protocols.binding import (
    KEY_CHECK_LABEL,
    META_NORMALIZATION,
    bind_schema,
    key_check_value,
    key_checks,
    kind_of,
    read_binding,
    with_kind,
)
from protocols.normalize import NORMALIZATION_REVISION
from tests.vectors import load_vectors

KEY = MatchKey(bytes(range(32)))


def test_bound_schema_names_collaboration_and_key_checks() -> None:
    tokenizer = Tokenizer(KEY, "col_a", parallel=False)
    schema = pa.schema([token_field("email"), token_field("phone"), pa.field("x", pa.string())])
    binding = read_binding(bind_schema(schema, tokenizer))
    checks = key_checks(KEY, "col_a")
    assert binding.collaboration == "col_a"
    assert binding.key_checks == {"token_email": checks["email"], "token_phone": checks["phone"]}


def test_key_checks_differ_by_key_collaboration_and_family() -> None:
    ours = key_checks(KEY, "col_a")
    assert len(set(ours.values())) == len(ours)
    assert key_checks(KEY, "col_b")["email"] != ours["email"]
    assert key_checks(MatchKey(bytes(32)), "col_a")["email"] != ours["email"]


def test_key_check_is_never_a_token_prefix() -> None:
    """The label starts with NUL, which normalization refuses in every identifier."""
    tokenizer = Tokenizer(KEY, "col_a", parallel=False)
    from protocols import IdType

    assert KEY_CHECK_LABEL.startswith(b"\x00")
    refused = tokenizer.token(IdType.CUSTOMER_ID, KEY_CHECK_LABEL.decode())
    assert not isinstance(refused, bytes)
    assert len(key_check_value(tokenizer.family_key("customer_id"))) == 16


def test_unbound_schema_says_nothing() -> None:
    binding = read_binding(pa.schema([token_field("email")]))
    assert binding.collaboration is None and binding.key_checks == {"token_email": None}


def test_bound_files_name_the_normalization_revision_of_the_vectors() -> None:
    assert load_vectors()["normalization_revision"] == NORMALIZATION_REVISION
    schema = bind_schema(pa.schema([]), Tokenizer(MatchKey(bytes(32)), "collab-1"))
    assert schema.metadata[META_NORMALIZATION] == str(NORMALIZATION_REVISION).encode()


def _schema(*names: str, kind: str | None = None) -> pa.Schema:
    schema = pa.schema([pa.field(name, pa.string()) for name in names])
    return schema if kind is None else schema.with_metadata({b"cleanroom.kind": kind.encode()})


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        (_schema("token_email", "campaign_id", "exposure_time"), DatasetKind.EXPOSURES),
        (_schema("token_phone", "purchase_time", "amount", "category"), DatasetKind.PURCHASES),
        (_schema("campaign_id", "spend"), DatasetKind.SPEND),
        (_schema("campaign_id", "spend", kind="exposures"), DatasetKind.EXPOSURES),
        (_schema("campaign_id", "spend", "exposure_time"), None),  # two kinds fit
        (_schema("token_email", "amount"), None),  # none fits
        (_schema("campaign_id", "spend", kind="clicks"), None),  # names no kind
    ],
)
def test_kind_of_reads_the_metadata_then_the_columns(
    schema: pa.Schema, expected: DatasetKind | None
) -> None:
    assert kind_of(schema) is expected


def test_with_kind_round_trips_and_keeps_the_binding() -> None:
    tokenizer = Tokenizer(KEY, "col_a", parallel=False)
    bound = bind_schema(pa.schema([token_field("email")]), tokenizer)
    tagged = with_kind(bound, DatasetKind.PURCHASES)
    assert kind_of(tagged) is DatasetKind.PURCHASES
    assert read_binding(tagged) == read_binding(bound)
