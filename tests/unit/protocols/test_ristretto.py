"""ristretto255 helpers: points are checked before use, blinding commutes, shares agree."""

from __future__ import annotations

import os

import pytest

from protocols import BlindingScalar, InvalidKey, InvalidPoint, blind_many, check_points
from protocols.ristretto import IDENTITY, L_ORDER_BYTES, blind, hash_to_group
from tests import ristretto_reference as ref

POINTS = hash_to_group("collab-x", "email", [f"user{i}@example.com".encode() for i in range(40)])
# Not canonical (>= p), odd ("negative") s, and a canonical s whose square root fails.
NON_CANONICAL = b"\xff" * 31 + b"\x7f"
NEGATIVE = (1).to_bytes(32, "little")
NOT_ON_CURVE = bytes.fromhex("26948d35ca62e643e26a83177332e6b6afeb9d08e4268b650f1f5bbd8d81d371")


def test_hash_to_group_is_domain_separated_by_collaboration_and_family() -> None:
    value = [b"alice@example.com"]
    base = hash_to_group("c1", "email", value)
    assert base != hash_to_group("c2", "email", value)
    assert base != hash_to_group("c1", "customer_id", value)
    assert check_points(base) == 1


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (IDENTITY, "point 0 is the identity"),
        (NON_CANONICAL, "point 0 is not a valid ristretto255 encoding"),
        (NEGATIVE, "point 0 is not a valid ristretto255 encoding"),
        (NOT_ON_CURVE, "point 0 is not a valid ristretto255 encoding"),
    ],
)
def test_a_bad_point_is_refused_with_its_position(bad: bytes, message: str) -> None:
    assert ref.decode(bad) is None or bad == IDENTITY  # the reference agrees it is bad
    with pytest.raises(InvalidPoint, match=f"^{message}$"):
        check_points(bad)
    batch = POINTS[:64] + bad + POINTS[64:96]
    with pytest.raises(InvalidPoint, match=f"^{message.replace('0', '2', 1)}$"):
        blind_many(BlindingScalar.generate(), batch, parallel=False)


def test_a_batch_that_is_not_whole_points_is_refused() -> None:
    with pytest.raises(InvalidPoint, match="multiple of 32 bytes"):
        blind_many(BlindingScalar.generate(), POINTS + b"\x00")


def test_blinding_commutes_and_matches_the_reference() -> None:
    a, b = BlindingScalar.generate(), BlindingScalar.generate()
    ab = blind(b, blind(a, POINTS))
    assert ab == blind(a, blind(b, POINTS))
    first = ref.decode(POINTS[:32])
    assert first is not None
    expected = ref.scalar_mult(int.from_bytes(a.secret, "little"), first)
    assert blind(a, POINTS[:32]) == ref.encode(expected)


def test_parallel_blinding_equals_one_process() -> None:
    scalar = BlindingScalar.generate()
    many = POINTS * 200  # 8,000 points: above the parallel threshold
    assert blind_many(scalar, many, parallel=True) == blind(scalar, many)


@pytest.mark.parametrize(
    "secret",
    [b"\x00" * 32, b"\x01" * 31, L_ORDER_BYTES, b"\xff" * 32],
    ids=["zero", "short", "the group order", "not reduced"],
)
def test_only_canonical_nonzero_scalars_are_accepted(secret: bytes) -> None:
    with pytest.raises(InvalidKey):
        BlindingScalar(secret)


def test_scalar_text_round_trips_and_hides_itself() -> None:
    scalar = BlindingScalar.generate()
    assert BlindingScalar.from_hex(scalar.hex()) == scalar
    assert scalar.hex() not in repr(scalar)
    assert len(scalar.key_check()) == 16
    assert scalar.key_check() != BlindingScalar(os.urandom(31) + b"\x00").key_check()
