"""Unsalted digests in token columns: what the probes catch and what passes."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocols import IdType, MatchKey, Tokenizer
from protocols.probes import (
    _count_any,
    _count_fixed,
    probe_digests,
    probe_identifiers,
    unsalted_count,
)

EMAILS = ["john@gmail.com", "user42@example.com", "info@outlook.com"]


def column(values: list[bytes | None]) -> pa.Array:
    return pa.array(values, pa.binary(32))


@pytest.mark.parametrize(
    "digest",
    [
        lambda v: hashlib.sha256(v).digest(),
        lambda v: hashlib.sha256(hashlib.sha256(v).hexdigest().encode()).digest(),
        lambda v: hashlib.md5(v, usedforsecurity=False).hexdigest().encode(),
        lambda v: hashlib.sha1(v, usedforsecurity=False).digest() + bytes(12),
    ],
    ids=["sha256", "sha256-of-hex", "md5-hex", "sha1-padded"],
)
def test_unsalted_digests_of_probe_identifiers_are_found(digest: Callable[[bytes], bytes]) -> None:
    values: list[bytes | None] = [digest(e.encode()) for e in EMAILS]
    values += [digest(b"+14155550100"), None]
    assert unsalted_count(column(values)) == 4


def test_ascii_hex_is_found_even_for_unknown_identifiers() -> None:
    value = hashlib.md5(b"someone.unlisted@corp.example", usedforsecurity=False).hexdigest()
    assert unsalted_count(column([value.encode()])) == 1


def test_keyed_tokens_pass() -> None:
    tokenizer = Tokenizer(MatchKey.generate(), "col_a", parallel=False)
    tokens = tokenizer.tokenize_array(IdType.EMAIL, pa.array(probe_identifiers()[:2000]))
    assert unsalted_count(tokens.tokens) == 0


def test_an_unlisted_identifier_passes_undetected() -> None:
    """The documented limit: a plain SHA-256 of an identifier not in the list is not caught."""
    digest = hashlib.sha256(b"someone.unlisted@corp.example").digest()
    assert unsalted_count(column([digest])) == 0


_VALUES = st.one_of(
    st.binary(min_size=32, max_size=32),
    st.text("0123456789abcdefABCDEF", min_size=32, max_size=32).map(str.encode),
    st.sampled_from(probe_digests().to_pylist()[:50]),
    st.builds(
        lambda head: head + bytes(24),
        st.sampled_from([d[:8] for d in probe_digests().to_pylist()[:50]]),
    ),
    # near misses of the prefilter: a probe digest's first 3 bytes (its 20-bit key), 8 or
    # 31 with any rest; ASCII hex but for one byte (of any position)
    st.builds(
        lambda digest, cut, rest: digest[:cut] + rest[cut:],
        st.sampled_from(probe_digests().to_pylist()),
        st.sampled_from([3, 8, 31]),
        st.binary(min_size=32, max_size=32),
    ),
    st.builds(
        lambda hexed, at, byte: hexed.encode()[:at] + byte + hexed.encode()[at + 1 :],
        st.text("0123456789abcdefABCDEF", min_size=32, max_size=32),
        st.integers(min_value=0, max_value=31),
        st.binary(min_size=1, max_size=1),
    ),
    st.none(),
)


@given(st.lists(_VALUES, max_size=60), st.integers(min_value=0, max_value=5))
def test_the_buffer_path_counts_what_the_generic_path_counts(
    values: list[bytes | None], skip: int
) -> None:
    """Token columns (fixed 32 bytes) take a path over the value buffer; any slice of any
    mix of random bytes, ASCII hex, probe digests, near misses and nulls counts the same."""
    tokens = column(values).slice(min(skip, len(values)))
    assert _count_fixed(tokens) == _count_any(tokens)
