"""Phone columns with more than one region: a country column, or regions tried in order.

The protocol normalizes a phone number against one default region (the region of a
number written without ``+`` and country code; :func:`protocols.normalize.normalize_phone`).
This module only chooses that region, row by row, and hands every row to the protocol's
own batch path (:meth:`protocols.Tokenizer.tokenize_array`), so a token is the same
whichever way its region was found. Numbers written with ``+`` parse the same under any
region.

- ``country_column``: each row's region is that column's ISO 3166 code (trimmed, any
  case; ``UK`` is read as ``GB``). Rows whose country is missing or unknown fall through
  to the next rule.
- ``regions`` (or one ``region``): tried in order; a row rejected in one region is tried
  in the next, and the first region in which it is a valid number wins. A row rejected
  in every region counts under the reason of the last one.
- neither left: the row is parsed without a region (only ``+`` numbers are valid).

Work is per distinct country and per region over the rows still without a token:
vectorized, nothing per row in Python.
"""

from __future__ import annotations

from collections import Counter

import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc

from party_agent.mapping import IdentifierSpec
from protocols import IdType, NormalizeOptions, Reason, TokenMaker
from protocols.tokens import TOKEN_TYPE, TokenColumn

#: Country spellings read as another ISO 3166 code.
ALIASES = {"UK": "GB"}


def tokenize_identifier(
    tokenizer: TokenMaker, spec: IdentifierSpec, batch: pa.RecordBatch
) -> TokenColumn:
    """The token column of one identifier column of ``batch``."""
    column = batch.column(spec.column)
    if spec.type is not IdType.PHONE or (
        spec.country_column is None and len(spec.regions_in_order) <= 1
    ):
        return tokenizer.tokenize_array(spec.type, column, spec.options)
    state = _State(tokenizer, column)
    todo = pc.is_valid(column)
    if spec.country_column is not None:
        todo = state.by_country(batch.column(spec.country_column), todo)
    state.in_order(spec.regions_in_order or (None,), todo)
    return TokenColumn("phone", state.tokens, +state.rejected)


class _State:
    """Tokens found so far and the final rejections, for one phone column."""

    def __init__(self, tokenizer: TokenMaker, column: pa.Array) -> None:
        self.tokenizer = tokenizer
        self.column = column
        self.tokens: pa.Array = pa.nulls(len(column), TOKEN_TYPE)
        self.rejected: Counter[Reason] = Counter({Reason.EMPTY: column.null_count})

    def attempt(
        self, rows: pa.BooleanArray, region: str | None
    ) -> tuple[pa.Array, Counter[Reason]]:
        """Tokenize ``rows`` in ``region``; returns the rows still without a token and the
        reasons of their rejection."""
        options = NormalizeOptions(region=region)
        tried = self.tokenizer.tokenize_array(IdType.PHONE, self.column.filter(rows), options)
        self.tokens = pc.replace_with_mask(self.tokens, rows, tried.tokens)
        return pc.and_(rows, pc.is_null(self.tokens)), tried.rejected

    def by_country(self, countries: pa.Array, todo: pa.BooleanArray) -> pa.BooleanArray:
        """Rows with a known country, each in its region; returns the rows left over."""
        codes = _codes(countries)
        encoded = pc.dictionary_encode(codes)
        for index, code in enumerate(encoded.dictionary.to_pylist()):
            if code not in phonenumbers.SUPPORTED_REGIONS:
                continue
            rows = pc.fill_null(pc.and_(todo, pc.equal(encoded.indices, index)), False)
            if not pc.any(rows).as_py():
                continue
            _, rejected = self.attempt(rows, code)
            self.rejected += rejected
            todo = pc.and_not(todo, rows)
        return todo

    def in_order(self, regions: tuple[str | None, ...], todo: pa.BooleanArray) -> None:
        """Rows of ``todo`` in each region in turn; the last region's rejections stand."""
        rejected: Counter[Reason] = Counter()
        for region in regions:
            if not pc.any(todo).as_py():
                return
            todo, rejected = self.attempt(todo, region)
        self.rejected += rejected


def _codes(countries: pa.Array) -> pa.Array:
    """ISO 3166 codes as written in a country column: trimmed, upper case, aliases read."""
    if pa.types.is_dictionary(countries.type):
        countries = countries.dictionary_decode()
    text = pc.utf8_upper(pc.utf8_trim_whitespace(countries.cast(pa.string())))
    for alias, code in ALIASES.items():
        text = pc.if_else(pc.equal(text, alias), pa.scalar(code), text)
    return text
