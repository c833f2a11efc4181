"""The batch loops of protocol v2, calling libsodium directly (the fast path).

``rbcl`` loads the libsodium it bundles with :mod:`ctypes` and wraps each function in
Python that checks types and allocates a buffer per call: about 12 µs of a 64 µs
multiplication (``benchmarks/bench_blind.py``). These loops call the same functions
of the same loaded library, writing into one output buffer per batch, and ctypes
releases the GIL during each call, so threads share a batch across cores with no copy.

They rely on two facts of libsodium (doc.libsodium.org, "Ristretto"; the source,
``crypto_scalarmult/ristretto255/ref10``): ``crypto_scalarmult_ristretto255`` returns
-1 when its input is not a canonical ristretto255 encoding, and -1 when the product is
the identity, which for a non-zero scalar (a :class:`~protocols.ristretto.BlindingScalar`)
happens exactly when the input is the identity. So one call checks and multiplies; the
position of a refused point is then named by :func:`protocols.ristretto.check_points`.

Where rbcl's loaded library cannot be found (another rbcl layout), :data:`LIBRARY` is
None and :mod:`protocols.ristretto` uses rbcl's public functions instead: the same
results, held equal by ``tests/unit/protocols/test_ristretto_native.py``.
"""

from __future__ import annotations

import ctypes
import hashlib
from collections.abc import Sequence
from typing import Any

POINT_BYTES = 32


def _library() -> Any:
    try:
        import rbcl  # noqa: F401  # initializes libsodium (sodium_init) on import
        from rbcl._sodium import _sodium
    except ImportError:  # pragma: no cover - another rbcl layout
        return None
    names = ("crypto_scalarmult_ristretto255", "crypto_core_ristretto255_from_hash")
    return _sodium if all(hasattr(_sodium, name) for name in names) else None


#: rbcl's ctypes handle on libsodium, or None (then the public functions are used).
LIBRARY: Any = _library()


def blind(secret: bytes, points: bytes) -> tuple[bytes, int]:
    """(``secret * p`` for every point, index of the first refused point or -1).

    The output is complete only when the index is -1."""
    mult = LIBRARY.crypto_scalarmult_ristretto255
    count = len(points) // POINT_BYTES
    source = (ctypes.c_char * len(points)).from_buffer_copy(points)
    out = ctypes.create_string_buffer(len(points))
    at = ctypes.byref
    for index in range(count):
        offset = index * POINT_BYTES
        if mult(at(out, offset), secret, at(source, offset)):
            return b"", index
    return out.raw, -1


def hash_and_blind(prefix: bytes, secret: bytes, values: Sequence[bytes]) -> tuple[bytes, int]:
    """(``secret * from_hash(SHA-512(prefix | v))`` for every value, first failure or -1)."""
    mult = LIBRARY.crypto_scalarmult_ristretto255
    from_hash = LIBRARY.crypto_core_ristretto255_from_hash
    point = ctypes.create_string_buffer(POINT_BYTES)
    out = ctypes.create_string_buffer(len(values) * POINT_BYTES)
    at = ctypes.byref
    sha512 = hashlib.sha512
    for index, value in enumerate(values):
        from_hash(point, sha512(prefix + value).digest())
        if mult(at(out, index * POINT_BYTES), secret, point):
            return b"", index
    return out.raw, -1


def hash_to_group(prefix: bytes, values: Sequence[bytes]) -> bytes:
    """``from_hash(SHA-512(prefix | v))`` for every value, concatenated."""
    from_hash = LIBRARY.crypto_core_ristretto255_from_hash
    out = ctypes.create_string_buffer(len(values) * POINT_BYTES)
    at = ctypes.byref
    sha512 = hashlib.sha512
    for index, value in enumerate(values):
        from_hash(at(out, index * POINT_BYTES), sha512(prefix + value).digest())
    return out.raw
