"""The batch loops of protocol v2, calling libsodium directly (the fast paths).

``rbcl`` loads the libsodium it bundles with :mod:`ctypes` and wraps each function in
Python that checks types and allocates a buffer per call: about 12 µs of a 64 µs
multiplication (``benchmarks/bench_blind.py``). Two paths call the same functions of
the same loaded library instead, writing into one output buffer per batch:

- **the compiled kernel** ``protocols._ristretto_kernel`` (optional, built from
  ``protocols/_ristretto_kernel.c`` by ``pip install`` where a C compiler exists): the
  whole loop in C, handed the addresses of rbcl's libsodium functions, one call per
  batch with the GIL released for all of it; SHA-512 is libsodium's too, the prefix
  hashed once per batch. About 4 µs a multiplication less than the ctypes loop.
- **ctypes loops** (pure Python): one ctypes call per libsodium function and value,
  ctypes releasing the GIL during each. Used when the kernel is not built, or when
  ``CLEANROOM_PURE_PYTHON_RISTRETTO=1`` asks for it.

Both rely on two facts of libsodium (doc.libsodium.org, "Ristretto"; the source,
``crypto_scalarmult/ristretto255/ref10``): ``crypto_scalarmult_ristretto255`` returns
-1 when its input is not a canonical ristretto255 encoding, and -1 when the product is
the identity, which for a non-zero scalar (a :class:`~protocols.ristretto.BlindingScalar`)
happens exactly when the input is the identity. So one call checks and multiplies; the
position of a refused point is then named by :func:`protocols.ristretto.check_points`.

Where rbcl's loaded library cannot be found (another rbcl layout), :data:`LIBRARY` is
None and :mod:`protocols.ristretto` uses rbcl's public functions instead: the same
results, held equal by ``tests/unit/protocols/test_ristretto_native.py``.
:func:`blinding_path` says which path runs.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
from collections.abc import Sequence
from typing import Any

import pyarrow as pa

try:
    from protocols import _ristretto_kernel
except ImportError:  # not built (no C compiler at install time): the ctypes loops run
    _ristretto_kernel = None  # type: ignore[assignment]

POINT_BYTES = 32
#: Set to 1 to use the ctypes loops even where the compiled kernel is built.
PURE_PYTHON_ENV = "CLEANROOM_PURE_PYTHON_RISTRETTO"
_KERNEL_FUNCTIONS = (
    "crypto_scalarmult_ristretto255",
    "crypto_core_ristretto255_from_hash",
    "crypto_hash_sha512_init",
    "crypto_hash_sha512_update",
    "crypto_hash_sha512_final",
    "crypto_core_ristretto255_is_valid_point",
)
#: The kernel keeps libsodium's SHA-512 state in a buffer of this size.
_KERNEL_STATE_BYTES = 256


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


def _kernel_ready() -> bool:
    """Hands the kernel libsodium's function addresses; False where it cannot run."""
    if _ristretto_kernel is None or LIBRARY is None:
        return False
    if not all(hasattr(LIBRARY, name) for name in _KERNEL_FUNCTIONS):  # pragma: no cover
        return False
    if LIBRARY.crypto_hash_sha512_statebytes() > _KERNEL_STATE_BYTES:  # pragma: no cover
        return False
    addresses = [
        ctypes.cast(getattr(LIBRARY, n), ctypes.c_void_p).value or 0 for n in _KERNEL_FUNCTIONS
    ]
    try:
        _ristretto_kernel.set_functions(*addresses)
    except ValueError:  # pragma: no cover - a function without an address
        return False
    return True


_KERNEL_READY = _kernel_ready()


def kernel_enabled() -> bool:
    """Whether the compiled kernel is built, ready and not switched off by the environment."""
    return _KERNEL_READY and os.environ.get(PURE_PYTHON_ENV, "") in ("", "0")


def blinding_path() -> str:
    """Which implementation blinds here, in words (printed by the benchmarks)."""
    if kernel_enabled():
        return "compiled kernel over rbcl's libsodium, threads"
    if LIBRARY is None:  # pragma: no cover - another rbcl layout
        return "rbcl's public functions (libsodium not reachable), threads"
    reason = f"{PURE_PYTHON_ENV} set" if _KERNEL_READY else "kernel not built"
    return f"ctypes loops over rbcl's libsodium ({reason}), threads"


def blind(secret: bytes, points: bytes) -> tuple[bytes, int]:
    """(``secret * p`` for every point, index of the first refused point or -1).

    The output is complete only when the index is -1."""
    if kernel_enabled():
        out, bad = _ristretto_kernel.blind(secret, points)
        return out, bad
    return _blind_ctypes(secret, points)


def _blind_ctypes(secret: bytes, points: bytes) -> tuple[bytes, int]:
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


def first_bad_point(points: bytes) -> tuple[int, str]:
    """(index, reason) of the first point of ``points`` that is the identity or not a
    valid encoding, or (-1, ""), in one kernel call (only where :func:`kernel_enabled`)."""
    index, reason = _ristretto_kernel.check(points)
    return index, {0: "", 1: "is the identity", 2: "is not a valid ristretto255 encoding"}[reason]


def hash_and_blind(prefix: bytes, secret: bytes, values: pa.Array) -> tuple[bytes, int]:
    """(``secret * from_hash(SHA-512(prefix | v))`` for every value of a binary array
    without nulls, index of the first failure or -1)."""
    if values.null_count:
        raise ValueError("the inputs of hash to group hold no nulls")
    if kernel_enabled():
        return _kernel_hash(prefix, secret, values)
    return _hash_and_blind_ctypes(prefix, secret, values.to_pylist())


def _kernel_hash(prefix: bytes, secret: bytes | None, values: pa.Array) -> tuple[bytes, int]:
    if len(values) == 0:
        return b"", -1
    if pa.types.is_binary(values.type) or pa.types.is_string(values.type):
        wide = False
    elif pa.types.is_large_binary(values.type) or pa.types.is_large_string(values.type):
        wide = True
    else:
        raise TypeError(f"hash to group takes binary values, not {values.type}")
    _, offsets, data = values.buffers()
    if data is None:  # an empty array, or one of empty values only
        data = pa.py_buffer(b"")
    out, bad = _ristretto_kernel.hash_and_blind(
        prefix, secret, offsets, data, wide, values.offset, len(values)
    )
    return out, bad


def _hash_and_blind_ctypes(
    prefix: bytes, secret: bytes, values: Sequence[bytes]
) -> tuple[bytes, int]:
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
    if kernel_enabled():
        return _kernel_hash(prefix, None, pa.array(values, pa.binary()))[0]
    from_hash = LIBRARY.crypto_core_ristretto255_from_hash
    out = ctypes.create_string_buffer(len(values) * POINT_BYTES)
    at = ctypes.byref
    sha512 = hashlib.sha512
    for index, value in enumerate(values):
        from_hash(at(out, index * POINT_BYTES), sha512(prefix + value).digest())
    return out.raw
