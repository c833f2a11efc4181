"""HMAC-SHA256 over many short messages, fast and on every core.

Two paths give the same bytes as ``hmac.digest`` (the vectors and a property test hold
both to it):

- **the compiled kernel** ``protocols._hmac_kernel`` (optional, built from
  ``protocols/_hmac_kernel.c`` by ``pip install`` where a C compiler exists): one pass
  over the Arrow buffers, pre-hash, hex and HMAC from precomputed key states, with the
  GIL released, so large columns are shared among threads of this process. About
  0.15 us per email on this project's benchmark machine (x86 SHA extensions, short
  values two at a time).
- **pure Python** (hashlib): the inner and outer SHA-256 states of the key (RFC 2104)
  are computed once and copied per value, about 0.9 us per email, so large columns are
  shared among worker processes (:mod:`protocols.workers`). Used when the kernel is not
  built, or when ``CLEANROOM_PURE_PYTHON_HMAC=1`` asks for it.

:func:`hashing_path` says which one runs; benchmarks/README.md what was measured.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import Counter
from collections.abc import Sequence
from typing import TypeAlias

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from protocols.identifiers import IdType, Reason
from protocols.normalize import NormalizeOptions
from protocols.normalize_batch import as_strings, normalize_array
from protocols.workers import map_shares, map_shares_in_threads

try:
    from protocols import _hmac_kernel
except ImportError:  # not built (no C compiler at install time): the hashlib path runs
    _hmac_kernel = None  # type: ignore[assignment]

#: Set to 1 to use the pure-Python path even where the compiled kernel is built.
PURE_PYTHON_ENV = "CLEANROOM_PURE_PYTHON_HMAC"

DIGEST_BYTES = 32
_BLOCK = 64
#: Batches smaller than this are hashed in the calling process only.
PARALLEL_THRESHOLD = 100_000
#: Arrow batches at least this long get their SHA-256 hex pre-hash from DuckDB.
DUCKDB_PREHASH_MIN = 1_000

Messages: TypeAlias = Sequence[str] | pa.StringArray


def kernel_enabled() -> bool:
    """Whether the compiled kernel is built and not switched off by the environment."""
    return _hmac_kernel is not None and os.environ.get(PURE_PYTHON_ENV, "") in ("", "0")


def hashing_path() -> str:
    """Which implementation hashes here, in words (printed by the benchmarks)."""
    if kernel_enabled():
        return f"compiled kernel (SHA-256: {_hmac_kernel.SHA256_IMPLEMENTATION}), threads"
    reason = "kernel not built" if _hmac_kernel is None else f"{PURE_PYTHON_ENV} set"
    return f"pure Python (hashlib; {reason}), worker processes"


def _keyed_states(key: bytes) -> tuple[hashlib._Hash, hashlib._Hash]:
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    padded = key.ljust(_BLOCK, b"\x00")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in padded))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in padded))
    return inner, outer


def _as_bytes(values: Messages | pa.BinaryArray) -> list[bytes]:
    if isinstance(values, pa.Array):
        # A string -> binary cast reuses the buffers; to_pylist then makes bytes directly.
        binary = pa.large_binary() if pa.types.is_large_string(values.type) else pa.binary()
        return values.cast(binary).to_pylist()  # type: ignore[no-any-return]
    return [value.encode() for value in values]


_duckdb_local = threading.local()


def _sha256_hex(values: pa.StringArray) -> list[bytes]:
    """Lowercase hex SHA-256 of each UTF-8 value, by DuckDB's ``sha256`` on one thread.

    About 0.2 us a value against 0.35 us for ``hashlib.sha256(v).hexdigest().encode()``
    (the Python call overhead, not the hashing, dominates there). One connection per
    thread and process; one thread each, as the processes already share the cores.
    """
    import duckdb  # a project dependency; imported late to keep `import protocols` light

    if getattr(_duckdb_local, "pid", None) != os.getpid():
        _duckdb_local.connection = duckdb.connect(config={"threads": 1})
        _duckdb_local.pid = os.getpid()
    connection = _duckdb_local.connection
    connection.register("protocols_values", pa.table({"v": values}))
    try:
        relation = connection.sql("select sha256(v) from protocols_values")
        to_arrow = getattr(relation, "to_arrow_table", None) or relation.fetch_arrow_table
        hexes = to_arrow().column(0).combine_chunks()
    finally:
        connection.unregister("protocols_values")
    return hexes.cast(pa.binary()).to_pylist()  # type: ignore[no-any-return]


def hmac_many(key: bytes, values: Messages | pa.BinaryArray, prehash: bool) -> bytes:
    """Concatenated ``HMAC-SHA256(key, m)`` for each value, in order.

    ``m`` is the UTF-8 value, or, when ``prehash`` is true, the lowercase hex SHA-256
    of the UTF-8 value (the email/phone rule of protocol v1). Values must not be null.
    """
    if kernel_enabled():
        array = values if isinstance(values, pa.Array) else pa.array(values, pa.string())
        return hmac_many_kernel(key, array, prehash)
    return hmac_many_python(key, values, prehash)


def hmac_many_kernel(
    key: bytes, values: pa.StringArray | pa.BinaryArray, prehash: bool, accelerated: bool = True
) -> bytes:
    """:func:`hmac_many` by the compiled kernel (``accelerated=False``: its portable C)."""
    if _hmac_kernel is None:
        raise RuntimeError("protocols._hmac_kernel is not built")
    if values.null_count:
        raise ValueError("hmac_many takes no null values")
    wide = pa.types.is_large_string(values.type) or pa.types.is_large_binary(values.type)
    if not (wide or pa.types.is_string(values.type) or pa.types.is_binary(values.type)):
        raise TypeError(f"hmac_many takes string or binary values, not {values.type}")
    _, offsets, data = values.buffers()
    if offsets is None:  # an empty array may have no buffers at all
        return b""
    return _hmac_kernel.hmac_many(
        key, offsets, data or b"", values.offset, len(values), wide, prehash, accelerated
    )


def hmac_many_python(key: bytes, values: Messages | pa.BinaryArray, prehash: bool) -> bytes:
    """:func:`hmac_many` by hashlib (the path used where the kernel is not built)."""
    if prehash and isinstance(values, pa.Array) and len(values) >= DUCKDB_PREHASH_MIN:
        messages, prehash = _sha256_hex(as_strings(values)), False
    else:
        messages = _as_bytes(values)
    inner, outer = _keyed_states(key)
    new_inner, new_outer, sha256 = inner.copy, outer.copy, hashlib.sha256
    digests: list[bytes] = []
    append = digests.append
    # One tight loop per case: every attribute lookup or branch costs here.
    if prehash:
        for message in messages:
            mac = new_inner()
            mac.update(sha256(message).hexdigest().encode())
            final = new_outer()
            final.update(mac.digest())
            append(final.digest())
    else:
        for message in messages:
            mac = new_inner()
            mac.update(message)
            final = new_outer()
            final.update(mac.digest())
            append(final.digest())
    return b"".join(digests)


def _hmac_share(values: pa.Array, key: bytes, prehash: bool) -> bytes:
    return hmac_many(key, values, prehash)


def hmac_many_parallel(key: bytes, values: Messages, prehash: bool) -> bytes:
    """Like :func:`hmac_many`, with large batches shared among all cores."""
    if len(values) < PARALLEL_THRESHOLD:
        return hmac_many(key, values, prehash)
    array = values if isinstance(values, pa.Array) else pa.array(values, pa.string())
    share_map = map_shares_in_threads if kernel_enabled() else map_shares
    return b"".join(share_map(_hmac_share, array, (key, prehash), PARALLEL_THRESHOLD))


#: One share's tokens: which rows are valid (numpy bool bytes), their digests, reasons.
ShareTokens: TypeAlias = tuple[bytes, bytes, Counter[Reason]]


def _tokenize_share(
    strings: pa.StringArray,
    key: bytes,
    id_type: IdType,
    options: NormalizeOptions,
    prehash: bool,
    hash_in_threads: bool = False,
) -> ShareTokens:
    column = normalize_array(id_type, strings, options)
    valid = pc.is_valid(column.values)
    values = column.values.filter(valid)
    if hash_in_threads:
        digests = hmac_many_parallel(key, values, prehash)
    else:
        digests = hmac_many(key, values, prehash)
    mask: npt.NDArray[np.bool_] = valid.to_numpy(zero_copy_only=False)
    return mask.tobytes(), digests, column.rejected


def tokenize_column(
    key: bytes,
    id_type: IdType,
    array: pa.Array | pa.ChunkedArray,
    options: NormalizeOptions,
    prehash: bool,
    parallel: bool = True,
) -> tuple[pa.BooleanArray, bytes, Counter[Reason]]:
    """Normalize and HMAC a whole column: (valid rows, their digests in order, reasons).

    With ``parallel`` and the compiled kernel, the column is normalized in this thread
    and hashed by every core's thread: only the kernel, which releases the GIL, runs in
    parallel, so threads waiting for the GIL on a busy machine cannot make it slower
    than one thread (normalizing in threads made phones 1.8x slower at a load of 8).
    With hashlib, a large column is cut into one share per core and each share is
    normalized and hashed by its own process.
    """
    strings = as_strings(array)
    args = (key, id_type, options, prehash)
    if parallel and kernel_enabled():
        shares = [_tokenize_share(strings, *args, hash_in_threads=True)]
    elif parallel:
        shares = map_shares(_tokenize_share, strings, args, PARALLEL_THRESHOLD)
    else:
        shares = [_tokenize_share(strings, *args)]
    valid = np.frombuffer(b"".join(share[0] for share in shares), dtype=np.bool_)
    rejected: Counter[Reason] = Counter()
    for share in shares:
        rejected += share[2]
    return pa.array(valid), b"".join(share[1] for share in shares), rejected
