"""The fast paths (libsodium called directly: the compiled kernel, the ctypes loops)
equal the reference path (rbcl's public functions) on the v2 vectors and on random
batches, and refuse what the reference refuses, at the same position, without a
separate validity pass. Each case runs on both fast paths (``fast_path``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest

from protocols import BlindingScalar, IdType, InvalidPoint, blind_many, check_points
from protocols import ristretto_native as native
from protocols.ristretto import (
    IDENTITY,
    _prefix,
    _reference_points,
    blind,
    blind_reference,
    hash_and_blind_many,
    hash_to_group,
)
from tests.vectors import load_vectors

V2: dict[str, Any] = load_vectors()["v2"]
VALUES = [f"user{i}@example.com".encode() for i in range(64)]
NON_CANONICAL = b"\xff" * 31 + b"\x7f"
NOT_ON_CURVE = bytes.fromhex("26948d35ca62e643e26a83177332e6b6afeb9d08e4268b650f1f5bbd8d81d371")
NOT_BUILT = pytest.mark.skipif(
    native._ristretto_kernel is None,
    reason="protocols._ristretto_kernel is not built (no C compiler at install); ctypes only",
)
#: Values of ``CLEANROOM_PURE_PYTHON_RISTRETTO`` selecting each fast path.
FAST_PATHS = [pytest.param("1", id="ctypes"), pytest.param("", id="kernel", marks=NOT_BUILT)]


@pytest.fixture(params=FAST_PATHS, autouse=True)
def fast_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv(native.PURE_PYTHON_ENV, request.param)
    assert native.kernel_enabled() == (request.param == "")
    yield native.blinding_path()


def test_the_fast_path_is_present(fast_path: str) -> None:
    """rbcl's layout is the one the fast path expects (else every call is 5x slower)."""
    assert native.LIBRARY is not None
    assert fast_path.startswith("compiled kernel" if native.kernel_enabled() else "ctypes")


@pytest.mark.parametrize("case", V2["cases"], ids=[c["note"] for c in V2["cases"]])
def test_both_paths_give_the_vector(case: dict[str, Any]) -> None:
    family = IdType(case["id_type"]).family
    a = BlindingScalar(bytes.fromhex(V2["scalars_hex"]["a"][family]))
    b = BlindingScalar(bytes.fromhex(V2["scalars_hex"]["b"][family]))
    value = [case["input"].encode()]
    point = hash_to_group(V2["collaboration_id"], family, value)
    assert point == _reference_points(_prefix(V2["collaboration_id"], family), value)
    assert point.hex() == case["point_hex"]
    once = hash_and_blind_many(a, V2["collaboration_id"], family, pa.array(value), False)
    assert once.hex() == case["once_a_hex"] == blind_reference(a, point).hex()
    assert blind(b, once).hex() == case["twice_hex"] == blind_reference(b, once).hex()


def test_both_paths_agree_on_a_large_batch_in_threads() -> None:
    scalar = BlindingScalar.generate()
    points = hash_to_group("c", "email", VALUES) * 100  # 6,400: above the threshold
    assert blind_many(scalar, points) == blind_reference(scalar, points)
    inputs = pa.array(VALUES * 100, pa.binary())
    assert hash_and_blind_many(scalar, "c", "email", inputs) == blind_reference(scalar, points)


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (IDENTITY, "is the identity"),
        (NON_CANONICAL, "is not a valid ristretto255 encoding"),
        (NOT_ON_CURVE, "is not a valid ristretto255 encoding"),
    ],
)
@pytest.mark.parametrize("position", [0, 5, 6_000])
def test_a_bad_point_is_named_at_its_position_in_the_whole_batch(
    bad: bytes, reason: str, position: int
) -> None:
    """libsodium's multiplication refuses it; the position counts across thread shares."""
    scalar = BlindingScalar.generate()
    good = hash_to_group("c", "email", VALUES) * 100
    batch = good[: position * 32] + bad + good[position * 32 :]
    message = f"^point {position} {reason}$"
    for path in (blind_many, blind, blind_reference):
        with pytest.raises(InvalidPoint, match=message):
            path(scalar, batch)
    with pytest.raises(InvalidPoint, match=message):  # the server's check of what arrives
        check_points(batch)
    assert check_points(good) == len(good) // 32


def test_the_first_of_two_bad_points_is_the_one_named() -> None:
    good = hash_to_group("c", "email", VALUES) * 100
    batch = good[: 10 * 32] + NON_CANONICAL + good[: 5_000 * 32] + IDENTITY
    with pytest.raises(InvalidPoint, match=r"^point 10 is not"):
        blind_many(BlindingScalar.generate(), batch)


def test_hash_to_group_reads_arrow_slices_and_large_binary() -> None:
    """The kernel reads the Arrow buffers in place: offsets of a slice, 64-bit offsets,
    empty values and an empty array give what the reference gives."""
    prefix = _prefix("c", "email")
    values = [b"", *VALUES[:20], b"x" * 300]
    expected = _reference_points(prefix, values)
    scalar = BlindingScalar.generate()
    for array in (pa.array(values, pa.binary()), pa.array(values, pa.large_binary())):
        assert native.hash_and_blind(prefix, scalar.secret, array.slice(3, 7))[0] == (
            blind_reference(scalar, expected[3 * 32 : 10 * 32])
        )
    assert hash_to_group("c", "email", values) == expected
    assert native.hash_and_blind(prefix, scalar.secret, pa.array([], pa.binary())) == (b"", -1)
    assert native.hash_and_blind(prefix, scalar.secret, pa.array([b""], pa.binary()))[0] == (
        blind_reference(scalar, _reference_points(prefix, [b""]))
    )


@NOT_BUILT
def test_the_kernel_refuses_what_it_cannot_read() -> None:
    """Nulls, and offsets that point outside the data (the loop runs without the GIL)."""
    secret = BlindingScalar.generate().secret
    with pytest.raises(ValueError, match="no nulls"):
        native.hash_and_blind(b"p", secret, pa.array([b"a", None], pa.binary()))
    kernel = native._ristretto_kernel
    offsets = pa.array([0, 2, 9], pa.int32()).buffers()[1]
    with pytest.raises(ValueError, match="do not fit the data buffer"):
        kernel.hash_and_blind(b"p", secret, offsets, b"abcd", False, 0, 2)
    with pytest.raises(ValueError, match="do not fit the data buffer"):
        kernel.hash_and_blind(b"p", secret, offsets, b"abcdefghij", False, 1, 2)
    with pytest.raises(ValueError, match="whole 32-byte points"):
        kernel.blind(secret, bytes(33))
