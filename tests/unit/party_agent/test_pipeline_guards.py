"""The pipeline's guards: identifiers in attributes, and never an unsalted digest."""

from __future__ import annotations

import hashlib

import pyarrow as pa
import pytest

from party_agent.errors import IdentifierInAttribute, InternalError
from party_agent.mapping import Mapping
from party_agent.pipeline import check_keyed, refuse_identifiers, scan_attributes
from protocols import token_field

MAPPING = Mapping.model_validate(
    {
        "identifiers": [{"column": "email", "type": "email"}],
        "attributes": [
            {"column": "campaign", "type": "string"},
            {"column": "note", "type": "string", "free_text": True},
        ],
    }
)


def batch(tokens: list[bytes], campaigns: list[str], notes: list[str]) -> pa.RecordBatch:
    schema = pa.schema(
        [token_field("email"), pa.field("campaign", pa.string()), pa.field("note", pa.string())]
    )
    return pa.RecordBatch.from_arrays(
        [pa.array(tokens, pa.binary(32)), pa.array(campaigns), pa.array(notes)], schema=schema
    )


def test_unsalted_digest_in_a_token_column_is_a_bug_that_stops_the_run() -> None:
    digests = [hashlib.sha256(b"john@gmail.com").digest(), bytes(range(32))]
    with pytest.raises(InternalError, match="token column for 'email' holds unsalted digests"):
        check_keyed(MAPPING, batch(digests, ["c1", "c2"], ["", ""]))
    check_keyed(MAPPING, batch([bytes(range(32))] * 2, ["c1", "c2"], ["", ""]))


def test_hits_are_summed_over_batches_and_free_text_is_skipped() -> None:
    tokens = [bytes(range(32))] * 2
    first = batch(tokens, ["a@b.example.com", "c1"], ["x@y.example.com", ""])
    second = batch(tokens, ["d@e.example.com", "f@g.example.com"], ["", ""])
    hits = scan_attributes(MAPPING, first) + scan_attributes(MAPPING, second)
    assert {h.column for h in hits} == {"campaign"}
    with pytest.raises(IdentifierInAttribute) as refused:
        refuse_identifiers(hits)
    assert str(refused.value).startswith(
        "column 'campaign': 3 row(s) look like email addresses; nothing was written"
    )
    assert "example.com" not in str(refused.value)
