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

libsodium holds the GIL through these bindings (``rbcl`` is cffi, but threads do not
scale in our measurements), so :func:`blind_many` and :func:`hash_and_blind_many` cut
large batches into one share per core and run them in worker processes
(:mod:`protocols.workers`).
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field

import pyarrow as pa
import rbcl

from protocols.errors import InvalidKey, InvalidPoint
from protocols.workers import map_shares

POINT_BYTES = 32
SCALAR_BYTES = 32
IDENTITY = bytes(POINT_BYTES)
#: The order L of the group, little-endian (not a valid scalar: it reduces to zero).
L_ORDER_BYTES = (2**252 + 27742317777372353535851937790883648493).to_bytes(32, "little")
HASH_DOMAIN = b"cleanroom v2 hash to ristretto255\x00"
KEY_CHECK_LABEL = b"\x00cleanroom key check v2"
#: Batches shorter than this are blinded in the calling process.
PARALLEL_THRESHOLD = 4_096
POINT_TYPE = pa.binary(POINT_BYTES)


def _length_prefixed(text: str) -> bytes:
    data = text.encode()
    return struct.pack(">H", len(data)) + data


def hash_input(collaboration_id: str, family: str, value: bytes) -> bytes:
    """The 64 bytes handed to ``from_hash``: domain-separated SHA-512 of the value."""
    prefix = HASH_DOMAIN + _length_prefixed(collaboration_id) + _length_prefixed(family)
    return hashlib.sha512(prefix + value).digest()


def hash_to_group(collaboration_id: str, family: str, values: Sequence[bytes]) -> bytes:
    """The points of ``values`` (unblinded: never leaves the agent), concatenated."""
    prefix = HASH_DOMAIN + _length_prefixed(collaboration_id) + _length_prefixed(family)
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


def check_points(points: bytes) -> int:
    """The number of points in ``points``; raises :class:`InvalidPoint` at the first
    position that is not a valid encoding or is the identity (no value is named)."""
    if len(points) % POINT_BYTES:
        raise InvalidPoint(f"a batch of points is a multiple of {POINT_BYTES} bytes")
    valid = rbcl.crypto_core_ristretto255_is_valid_point
    for index in range(len(points) // POINT_BYTES):
        point = points[index * POINT_BYTES : (index + 1) * POINT_BYTES]
        if point == IDENTITY:
            raise InvalidPoint(f"point {index} is the identity")
        if not valid(point):
            raise InvalidPoint(f"point {index} is not a valid ristretto255 encoding")
    return len(points) // POINT_BYTES


def blind(scalar: BlindingScalar, points: bytes) -> bytes:
    """``scalar * p`` for every point of ``points`` (checked first), in order."""
    count = check_points(points)
    mult = rbcl.crypto_scalarmult_ristretto255
    secret = scalar.secret
    return b"".join(
        mult(secret, points[i * POINT_BYTES : (i + 1) * POINT_BYTES]) for i in range(count)
    )


def _as_point_array(points: bytes) -> pa.FixedSizeBinaryArray:
    count = len(points) // POINT_BYTES
    return pa.FixedSizeBinaryArray.from_buffers(POINT_TYPE, count, [None, pa.py_buffer(points)])


def _blind_share(share: pa.Array, secret: bytes) -> bytes:
    return blind(BlindingScalar(secret), _share_bytes(share))


def _share_bytes(share: pa.Array) -> bytes:
    buffer = share.buffers()[1]
    start = share.offset * POINT_BYTES
    return bytes(buffer)[start : start + len(share) * POINT_BYTES]


def blind_many(scalar: BlindingScalar, points: bytes, parallel: bool = True) -> bytes:
    """:func:`blind` on every core: one share per worker process for large batches."""
    if len(points) % POINT_BYTES:
        raise InvalidPoint(f"a batch of points is a multiple of {POINT_BYTES} bytes")
    if not parallel:
        return blind(scalar, points)
    array = _as_point_array(points)
    shares = map_shares(_blind_share, array, (scalar.secret,), PARALLEL_THRESHOLD)
    return b"".join(shares)


def _hash_and_blind_share(share: pa.Array, collaboration: str, family: str, secret: bytes) -> bytes:
    values = [value.as_py() for value in share]
    points = hash_to_group(collaboration, family, values)
    mult = rbcl.crypto_scalarmult_ristretto255
    return b"".join(
        mult(secret, points[i * POINT_BYTES : (i + 1) * POINT_BYTES]) for i in range(len(values))
    )


def hash_and_blind_many(
    scalar: BlindingScalar,
    collaboration_id: str,
    family: str,
    inputs: pa.BinaryArray,
    parallel: bool = True,
) -> bytes:
    """Once-blinded points of ``inputs`` (no nulls): hash to the group, then blind.

    The unblinded points exist only inside this function (and its worker processes)."""
    args = (collaboration_id, family, scalar.secret)
    if not parallel:
        return _hash_and_blind_share(inputs, *args)
    return b"".join(map_shares(_hash_and_blind_share, inputs, args, PARALLEL_THRESHOLD))
