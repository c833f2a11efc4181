"""The three paths of protocol v2's batch loops give the same bytes (hypothesis).

rbcl's public functions are the reference; the compiled kernel and the ctypes loops
(:mod:`protocols.ristretto_native`) must equal it on any values, any scalar, and must
refuse a batch at the same first bad position (blinding, and the server's check).
"""

from __future__ import annotations

import pyarrow as pa
import pytest
import rbcl
from hypothesis import given, settings
from hypothesis import strategies as st

from protocols import BlindingScalar, InvalidPoint, check_points
from protocols import ristretto_native as native
from protocols.ristretto import (
    IDENTITY,
    _prefix,
    _reference_points,
    blind,
    blind_reference,
    hash_and_blind_many,
)

KERNEL_BUILT = native._ristretto_kernel is not None
#: Values of CLEANROOM_PURE_PYTHON_RISTRETTO: the ctypes loops, and the kernel where built.
PATHS = ["1", ""] if KERNEL_BUILT else ["1"]
values = st.lists(st.binary(max_size=80), min_size=1, max_size=12)
scalars = st.binary(min_size=32, max_size=32).map(lambda raw: BlindingScalar(_reduce(raw)))
bad_points = st.sampled_from([IDENTITY, b"\xff" * 31 + b"\x7f", (1).to_bytes(32, "little")])


def _reduce(raw: bytes) -> bytes:
    reduced: bytes = rbcl.crypto_core_ristretto255_scalar_reduce(raw + bytes(32))
    return reduced if reduced != bytes(32) else (1).to_bytes(32, "little")


@settings(max_examples=60, deadline=None)
@given(values=values, scalar=scalars, collaboration=st.text(max_size=8), start=st.integers(0, 3))
def test_hash_and_blind_equals_the_reference_on_every_path(
    values: list[bytes], scalar: BlindingScalar, collaboration: str, start: int
) -> None:
    prefix = _prefix(collaboration, "email")
    expected = blind_reference(scalar, _reference_points(prefix, values))[start * 32 :]
    array = pa.array(values, pa.binary()).slice(min(start, len(values)))
    with pytest.MonkeyPatch.context() as patch:
        for pure in PATHS:
            patch.setenv(native.PURE_PYTHON_ENV, pure)
            got = hash_and_blind_many(scalar, collaboration, "email", array, parallel=False)
            assert got == expected, f"path {native.blinding_path()}"


@settings(max_examples=60, deadline=None)
@given(values=values, scalar=scalars, bad=bad_points, where=st.integers(0, 12))
def test_blind_refuses_at_the_same_position_on_every_path(
    values: list[bytes], scalar: BlindingScalar, bad: bytes, where: int
) -> None:
    points = _reference_points(_prefix("c", "email"), values)
    cut = min(where, len(values)) * 32
    batch = points[:cut] + bad + points[cut:]
    with pytest.MonkeyPatch.context() as patch:
        for pure in PATHS:
            patch.setenv(native.PURE_PYTHON_ENV, pure)
            assert blind(scalar, points) == blind_reference(scalar, points)
            with pytest.raises(InvalidPoint, match=f"^point {cut // 32} "):
                blind(scalar, batch)
            with pytest.raises(InvalidPoint, match=f"^point {cut // 32} "):
                check_points(batch)
            assert check_points(points) == len(values)
