"""Batched HMAC equals the standard library on every path (hashlib, kernel, portable C)."""

from __future__ import annotations

import hashlib
import hmac

import pyarrow as pa
import pytest

from protocols import hmac_batch
from tests.hashing_paths import ENV_PATHS, HMAC_PATHS, HmacMany

KEY = bytes(range(32))
#: Empty, NUL, unicode of every UTF-8 length, long values, whitespace.
ODD = ["", "\x00", "a\x00b", "é", "日本語", "\U0001f600", "x" * 1000, " a ", "\n", "+15551234567"]
#: Lengths around SHA-256's padding boundaries (55/56 bytes, one and two blocks).
EDGES = ["y" * n for n in (54, 55, 56, 63, 64, 65, 119, 120, 128)]


def _stdlib(values: list[str], prehash: bool, key: bytes = KEY) -> bytes:
    out = b""
    for value in values:
        message = value.encode()
        if prehash:
            message = hashlib.sha256(message).hexdigest().encode()
        out += hmac.new(key, message, hashlib.sha256).digest()
    return out


def test_arrow_batches_with_the_duckdb_prehash_equal_the_stdlib() -> None:
    values = [f"{odd}{i}" for i in range(150) for odd in ODD]
    assert len(values) >= hmac_batch.DUCKDB_PREHASH_MIN
    for array in (pa.array(values), pa.array(values, pa.large_string())):
        assert hmac_batch.hmac_many_python(KEY, array, True) == _stdlib(values, True)
    assert hmac_batch.hmac_many_python(KEY, values, True) == _stdlib(values, True)


@pytest.mark.parametrize("hmac_many", HMAC_PATHS)
@pytest.mark.parametrize("prehash", [True, False])
def test_every_path_equals_the_stdlib(hmac_many: HmacMany, prehash: bool) -> None:
    values = ODD + EDGES
    for array in (pa.array(values), pa.array(values, pa.large_string())):
        assert hmac_many(KEY, array, prehash) == _stdlib(values, prehash)
        assert hmac_many(KEY, array.slice(3, 7), prehash) == _stdlib(values[3:10], prehash)
    assert hmac_many(KEY, pa.array([], pa.string()), prehash) == b""


@pytest.mark.parametrize("hmac_many", HMAC_PATHS)
@pytest.mark.parametrize("prehash", [True, False])
@pytest.mark.parametrize("count", [1, 2, 3, 8, 9])
def test_short_and_long_values_in_any_order(hmac_many: HmacMany, prehash: bool, count: int) -> None:
    """The kernel hashes values of up to 55 bytes two at a time: odd counts, a long
    value between two short ones, and each length around one block keep their places."""
    lengths = [0, 55, 56, 3, 200, 54, 64, 1, 55, 57, 30]
    for rotation in range(len(lengths)):
        order = lengths[rotation:] + lengths[:rotation]
        values = [chr(97 + i % 26) * n for i, n in enumerate(order[:count])]
        assert hmac_many(KEY, pa.array(values), prehash) == _stdlib(values, prehash)


@pytest.mark.parametrize("hmac_many", HMAC_PATHS)
@pytest.mark.parametrize("key_length", [0, 1, 32, 63, 64, 65, 200])
def test_every_path_takes_keys_of_any_length(hmac_many: HmacMany, key_length: int) -> None:
    key = bytes(range(256))[:key_length]
    assert hmac_many(key, pa.array(ODD), True) == _stdlib(ODD, True, key)


@pytest.mark.parametrize("hashing", ENV_PATHS)
def test_the_public_function_takes_lists_and_arrays(
    hashing: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(hmac_batch.PURE_PYTHON_ENV, hashing)
    assert hmac_batch.hmac_many(KEY, pa.array(ODD), True) == _stdlib(ODD, True)
    assert hmac_batch.hmac_many(KEY, ODD, False) == _stdlib(ODD, False)
    assert hmac_batch.hmac_many(KEY, pa.array(ODD, pa.binary()), False) == _stdlib(ODD, False)
    assert hmac_batch.hashing_path().startswith("compiled kernel") == (hashing == "")


@pytest.mark.skipif(hmac_batch._hmac_kernel is None, reason="protocols._hmac_kernel is not built")
def test_the_kernel_refuses_nulls_and_other_types() -> None:
    with pytest.raises(ValueError, match=r"^hmac_many takes no null values$"):
        hmac_batch.hmac_many_kernel(KEY, pa.array(["a", None]), True)
    with pytest.raises(TypeError, match=r"^hmac_many takes string or binary values, not int64$"):
        hmac_batch.hmac_many_kernel(KEY, pa.array([1]), True)
