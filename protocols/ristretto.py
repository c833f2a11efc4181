"""ristretto255 for protocol v2: hash to the group, secret scalars, blinding of batches.

libsodium does the arithmetic, through ``rbcl`` (a wheel that bundles libsodium and
binds its ristretto255 functions; PyNaCl binds only the edwards25519 ones)::

    point   = ristretto255_from_hash(SHA-512(DOMAIN | lp(collaboration) | lp(family) | input))
    blinded = scalar * point

``lp(x)`` is the 2-byte big-endian length of ``x`` followed by its UTF-8 bytes, so no two
(collaboration, family) pairs share a prefix; ``input`` is the v1 HMAC input (the SHA-256
hex of a normalized email or phone, the normalized value otherwise). Every point that
arrives from elsewhere is checked (a valid canonical encoding, not the identity) before
it is multiplied: :func:`check_points` names the first bad position, never its value.

The loops call libsodium directly (:mod:`protocols.ristretto_native`: no separate
validity pass, the multiplication refuses a bad point; no per-call wrapper) with the
GIL released (the compiled kernel for a whole batch, or ctypes around each call), so
:func:`blind_many` and :func:`hash_and_blind_many` cut large batches into
:data:`PIECES_PER_CORE` pieces per core that threads take in turn
(:func:`protocols.workers.map_shares_in_threads`). :func:`blind_reference` and rbcl's
public functions are the reference path, held equal by the tests.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field

import pyarrow as pa
import rbcl

from protocols import ristretto_native as native
from protocols.errors import InvalidKey, InvalidPoint
from protocols.workers import map_shares_in_threads

POINT_BYTES = 32
SCALAR_BYTES = 32
IDENTITY = bytes(POINT_BYTES)
#: The order L of the group, little-endian (not a valid scalar: it reduces to zero).
L_ORDER_BYTES = (2**252 + 27742317777372353535851937790883648493).to_bytes(32, "little")
HASH_DOMAIN = b"cleanroom v2 hash to ristretto255\x00"
KEY_CHECK_LABEL = b"\x00cleanroom key check v2"
#: Batches shorter than this are blinded in the calling thread.
PARALLEL_THRESHOLD = 4_096
#: Pieces per core the threads take in turn (100,000 points on 2 cores: 16 of ~0.35 s).
PIECES_PER_CORE = 8
POINT_TYPE = pa.binary(POINT_BYTES)


def _length_prefixed(text: str) -> bytes:
    data = text.encode()
    return struct.pack(">H", len(data)) + data


def _prefix(collaboration_id: str, family: str) -> bytes:
    return HASH_DOMAIN + _length_prefixed(collaboration_id) + _length_prefixed(family)


def hash_input(collaboration_id: str, family: str, value: bytes) -> bytes:
    """The 64 bytes handed to ``from_hash``: domain-separated SHA-512 of the value."""
    return hashlib.sha512(_prefix(collaboration_id, family) + value).digest()


def hash_to_group(collaboration_id: str, family: str, values: Sequence[bytes]) -> bytes:
    """The points of ``values`` (unblinded: never leaves the agent), concatenated."""
    prefix = _prefix(collaboration_id, family)
    if native.LIBRARY is None:  # pragma: no cover - another rbcl layout
        return _reference_points(prefix, values)
    return native.hash_to_group(prefix, values)


def _reference_points(prefix: bytes, values: Sequence[bytes]) -> bytes:
    """:func:`hash_to_group` through rbcl's public function."""
    from_hash = rbcl.crypto_core_ristretto255_from_hash
    return b"".join(from_hash(hashlib.sha512(prefix + value).digest()) for value in values)


@dataclass(frozen=True)
class BlindingScalar:
    """A party's secret scalar for one collaboration and family (kept in its home only)."""

    secret: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.secret, bytes) or len(self.secret) != SCALAR_BYTES:
            raise InvalidKey(f"a blinding scalar is {SCALAR_BYTES} bytes")
        reduced = rbcl.crypto_core_ristretto255_scalar_reduce(self.secret + bytes(32))
        if reduced != self.secret or self.secret == bytes(SCALAR_BYTES):
            raise InvalidKey("a blinding scalar must be a canonical, non-zero scalar mod L")

    @classmethod
    def generate(cls) -> BlindingScalar:
        """A uniformly random non-zero scalar from libsodium's CSPRNG."""
        return cls(rbcl.crypto_core_ristretto255_scalar_random())

    @classmethod
    def from_hex(cls, text: str) -> BlindingScalar:
        try:
            secret = bytes.fromhex(text.strip())
        except ValueError:
            raise InvalidKey("a blinding scalar file holds 64 hex digits") from None
        return cls(secret)

    def hex(self) -> str:
        return self.secret.hex()

    def key_check(self) -> str:
        """16 hex digits that name this scalar without revealing it (HMAC of a label)."""
        mac = hmac.new(self.secret, KEY_CHECK_LABEL, hashlib.sha256).digest()
        return mac[:8].hex()


def check_points(points: bytes, *, first_index: int = 0) -> int:
    """The number of points in ``points``; raises :class:`InvalidPoint` at the first
    position that is not a valid encoding or is the identity (no value is named).

    Positions are counted from ``first_index`` (where ``points`` starts in its batch)."""
    if len(points) % POINT_BYTES:
        raise InvalidPoint(f"a batch of points is a multiple of {POINT_BYTES} bytes")
    if native.kernel_enabled():
        bad, reason = native.first_bad_point(points)
        if bad >= 0:
            raise InvalidPoint(f"point {first_index + bad} {reason}")
        return len(points) // POINT_BYTES
    for index in range(len(points) // POINT_BYTES):
        _check_point(points[index * POINT_BYTES : (index + 1) * POINT_BYTES], first_index + index)
    return len(points) // POINT_BYTES


def _check_point(point: bytes, index: int) -> None:
    if point == IDENTITY:
        raise InvalidPoint(f"point {index} is the identity")
    if not rbcl.crypto_core_ristretto255_is_valid_point(point):
        raise InvalidPoint(f"point {index} is not a valid ristretto255 encoding")


def blind(scalar: BlindingScalar, points: bytes, *, first_index: int = 0) -> bytes:
    """``scalar * p`` for every point of ``points``, in order.

    A point that is not a valid encoding or is the identity stops the batch with
    :class:`InvalidPoint` naming its position, as :func:`check_points` does: the
    multiplication itself refuses such points (:mod:`protocols.ristretto_native`), so a
    valid batch costs no separate pass. Without the fast path, :func:`blind_reference`."""
    if len(points) % POINT_BYTES:
        raise InvalidPoint(f"a batch of points is a multiple of {POINT_BYTES} bytes")
    if native.LIBRARY is None:  # pragma: no cover - another rbcl layout
        return blind_reference(scalar, points, first_index=first_index)
    out, bad = native.blind(scalar.secret, points)
    if bad >= 0:
        _check_point(points[bad * POINT_BYTES : (bad + 1) * POINT_BYTES], first_index + bad)
        raise AssertionError(f"libsodium refused point {first_index + bad}, a valid one")
    return out


def blind_reference(scalar: BlindingScalar, points: bytes, *, first_index: int = 0) -> bytes:
    """:func:`blind` through rbcl's public functions: every point checked, then multiplied."""
    count = check_points(points, first_index=first_index)
    mult = rbcl.crypto_scalarmult_ristretto255
    secret = scalar.secret
    return b"".join(
        mult(secret, points[i * POINT_BYTES : (i + 1) * POINT_BYTES]) for i in range(count)
    )


def _blind_share(share: pa.FixedSizeBinaryArray, secret: bytes) -> bytes:
    return blind(BlindingScalar(secret), _share_bytes(share), first_index=share.offset)


def _share_bytes(share: pa.FixedSizeBinaryArray) -> bytes:
    buffer = share.buffers()[1]
    data: bytes = buffer[
        share.offset * POINT_BYTES : (share.offset + len(share)) * POINT_BYTES
    ].to_pybytes()
    return data


def blind_many(scalar: BlindingScalar, points: bytes, parallel: bool = True) -> bytes:
    """:func:`blind` on every core: one share per thread for large batches (libsodium
    runs without the GIL); the first bad position of the whole batch is reported."""
    if len(points) % POINT_BYTES:
        raise InvalidPoint(f"a batch of points is a multiple of {POINT_BYTES} bytes")
    if not parallel:
        return blind(scalar, points)
    count = len(points) // POINT_BYTES
    array = pa.FixedSizeBinaryArray.from_buffers(POINT_TYPE, count, [None, pa.py_buffer(points)])
    shares = map_shares_in_threads(
        _blind_share, array, (scalar.secret,), PARALLEL_THRESHOLD, PIECES_PER_CORE
    )
    return b"".join(shares)


def _hash_and_blind_share(share: pa.Array, prefix: bytes, secret: bytes) -> bytes:
    if native.LIBRARY is None:  # pragma: no cover - another rbcl layout
        points = _reference_points(prefix, share.to_pylist())
        return blind_reference(BlindingScalar(secret), points)
    out, bad = native.hash_and_blind(prefix, secret, share)
    if bad >= 0:  # from_hash gave the identity: probability about 2**-252
        raise AssertionError(f"hash to group gave the identity at {share.offset + bad}")
    return out


def hash_and_blind_many(
    scalar: BlindingScalar,
    collaboration_id: str,
    family: str,
    inputs: pa.BinaryArray,
    parallel: bool = True,
) -> bytes:
    """Once-blinded points of ``inputs`` (no nulls): hash to the group, then blind.

    The unblinded points exist only inside this function (and its threads)."""
    args = (_prefix(collaboration_id, family), scalar.secret)
    if not parallel:
        return _hash_and_blind_share(inputs, *args)
    shares = map_shares_in_threads(
        _hash_and_blind_share, inputs, args, PARALLEL_THRESHOLD, PIECES_PER_CORE
    )
    return b"".join(shares)
