"""Batched HMAC equals the standard library, whichever path computes the pre-hash."""

from __future__ import annotations

import hashlib
import hmac

import pyarrow as pa

from protocols import hmac_batch

KEY = bytes(range(32))
#: Empty, NUL, unicode of every UTF-8 length, long values, whitespace.
ODD = ["", "\x00", "a\x00b", "é", "日本語", "\U0001f600", "x" * 1000, " a ", "\n", "+15551234567"]


def _stdlib(values: list[str], prehash: bool) -> bytes:
    out = b""
    for value in values:
        message = value.encode()
        if prehash:
            message = hashlib.sha256(message).hexdigest().encode()
        out += hmac.new(KEY, message, hashlib.sha256).digest()
    return out


def test_arrow_batches_with_the_duckdb_prehash_equal_the_stdlib() -> None:
    values = [f"{odd}{i}" for i in range(150) for odd in ODD]
    assert len(values) >= hmac_batch.DUCKDB_PREHASH_MIN
    for array in (pa.array(values), pa.array(values, pa.large_string())):
        assert hmac_batch.hmac_many(KEY, array, True) == _stdlib(values, True)
    assert hmac_batch.hmac_many(KEY, values, True) == _stdlib(values, True)


def test_small_batches_and_plain_messages_equal_the_stdlib() -> None:
    assert hmac_batch.hmac_many(KEY, pa.array(ODD), True) == _stdlib(ODD, True)
    assert hmac_batch.hmac_many(KEY, pa.array(ODD), False) == _stdlib(ODD, False)
    assert hmac_batch.hmac_many(KEY, ODD, False) == _stdlib(ODD, False)
    assert hmac_batch.hmac_many(KEY, pa.array([], pa.string()), True) == b""
