"""Shares of a column run in worker processes or threads give what one call gives."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from protocols import IdType, NormalizeOptions, hmac_batch, workers
from protocols.workers import map_shares, map_shares_in_threads
from tests.hashing_paths import ENV_PATHS

KEY = bytes(range(32))


def _lengths(values: pa.Array, offset: int) -> list[int]:
    return [length + offset for length in pc.binary_length(values).to_pylist()]


def test_map_shares_keeps_order_and_arguments() -> None:
    values = pa.array([f"v{i}" * (i % 7) for i in range(1_000)])
    shared = map_shares(_lengths, values, (5,), threshold=10)
    assert len(shared) >= 1
    assert [n for part in shared for n in part] == _lengths(values, 5)


def test_map_shares_in_threads_keeps_order_and_arguments() -> None:
    values = pa.array([f"v{i}" * (i % 7) for i in range(1_001)])
    shared = map_shares_in_threads(_lengths, values, (5,), threshold=10)
    assert [n for part in shared for n in part] == _lengths(values, 5)


def test_pieces_taken_in_turn_keep_order() -> None:
    values = pa.array([f"v{i}" * (i % 7) for i in range(1_001)])
    shared = map_shares_in_threads(_lengths, values, (5,), threshold=10, pieces_per_core=8)
    assert len(shared) > 8 or workers.cores() == 1
    assert [n for part in shared for n in part] == _lengths(values, 5)


def _fail_at(values: pa.Array, bad: frozenset[int]) -> int:
    """Raises naming the first position of this piece that is in ``bad``."""
    for position in range(values.offset, values.offset + len(values)):
        if position in bad:
            raise ValueError(f"bad at {position}")
    return len(values)


@pytest.mark.parametrize("bad", [{5}, {900, 20}, {999}, {400, 401, 990}])
def test_the_first_failing_piece_is_the_one_raised(bad: set[int]) -> None:
    """Whichever thread gets there first, the error is the one a single call raises."""
    values = pa.array(range(1_000))
    for pieces in (1, 3, 8):
        with pytest.raises(ValueError, match=f"^bad at {min(bad)}$"):
            map_shares_in_threads(_fail_at, values, (frozenset(bad),), 10, pieces)


def test_small_arrays_stay_in_one_share() -> None:
    values = pa.array(["a", "bb"])
    assert map_shares(_lengths, values, (0,), threshold=10) == [[1, 2]]
    assert map_shares_in_threads(_lengths, values, (0,), threshold=10) == [[1, 2]]


@pytest.mark.parametrize("hashing", ENV_PATHS)
def test_parallel_tokenize_column_equals_serial(
    hashing: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(hmac_batch.PURE_PYTHON_ENV, hashing)
    raw = [f" User{i}.x+y@{'GMail.com' if i % 2 else 'example.org'} " for i in range(2_000)]
    raw += [None, "", "no-at", "(212) 555-0100", "é@x.com"] * 10
    array = pa.array(raw)
    for id_type, options in [
        (IdType.EMAIL, NormalizeOptions(fold_gmail=True)),
        (IdType.PHONE, NormalizeOptions(region="US")),
    ]:
        args = (KEY, id_type, array, options, True)
        serial = hmac_batch.tokenize_column(*args, parallel=False)
        with monkeypatch.context() as patch:
            patch.setattr(hmac_batch, "PARALLEL_THRESHOLD", 10)
            shared = hmac_batch.tokenize_column(*args, parallel=True)
        assert shared[0].equals(serial[0])
        assert shared[1] == serial[1]
        assert shared[2] == serial[2]
