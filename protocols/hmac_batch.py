"""HMAC-SHA256 over many short messages, fast and on every core.

A per-row ``hmac.new(...)`` call re-derives the padded key for every value. Here the
inner and outer SHA-256 states of the key (RFC 2104) are computed once and copied per
value, and large batches are split between the calling process and worker processes
(hashlib holds the GIL for short inputs, so threads would not help). The result is
byte-for-byte ``hmac.digest``; the unit tests check that on every vector.
"""

from __future__ import annotations

import atexit
import hashlib
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeAlias

import pyarrow as pa

DIGEST_BYTES = 32
_BLOCK = 64
#: Batches smaller than this are hashed in the calling process only.
PARALLEL_THRESHOLD = 100_000

_pool: ProcessPoolExecutor | None = None
_pool_broken = False

Messages: TypeAlias = Sequence[str] | pa.StringArray


def _keyed_states(key: bytes) -> tuple[hashlib._Hash, hashlib._Hash]:
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    padded = key.ljust(_BLOCK, b"\x00")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in padded))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in padded))
    return inner, outer


def hmac_many(key: bytes, values: Messages, prehash: bool) -> bytes:
    """Concatenated ``HMAC-SHA256(key, m)`` for each value, in order.

    ``m`` is the UTF-8 value, or, when ``prehash`` is true, the lowercase hex SHA-256
    of the UTF-8 value (the email/phone rule of protocol v1). Values must not be null.
    """
    if isinstance(values, pa.Array):
        values = values.to_pylist()
    inner, outer = _keyed_states(key)
    new_inner, new_outer, sha256 = inner.copy, outer.copy, hashlib.sha256
    out = bytearray()
    extend = out.extend
    for value in values:
        message = value.encode()
        if prehash:
            message = sha256(message).hexdigest().encode()
        mac = new_inner()
        mac.update(message)
        final = new_outer()
        final.update(mac.digest())
        extend(final.digest())
    return bytes(out)


def _cores() -> int:
    return max(1, min(len(os.sched_getaffinity(0)), 16))


def _get_pool() -> ProcessPoolExecutor:
    global _pool
    if _pool is None:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["protocols.hmac_batch"])
        _pool = ProcessPoolExecutor(max_workers=_cores() - 1, mp_context=context)
        atexit.register(_pool.shutdown, cancel_futures=True)
    return _pool


def hmac_many_parallel(key: bytes, values: Messages, prehash: bool) -> bytes:
    """Like :func:`hmac_many`, with large batches shared among all cores.

    The calling process hashes the first share while worker processes hash the rest.
    Where workers cannot start (a program read from stdin, a sandbox without fork) it
    falls back to the calling process alone: same bytes, slower.
    """
    global _pool_broken
    cores = _cores()
    if _pool_broken or cores == 1 or len(values) < PARALLEL_THRESHOLD:
        return hmac_many(key, values, prehash)
    step = -(-len(values) // cores)
    shares = [values[i : i + step] for i in range(0, len(values), step)]
    try:
        pool = _get_pool()
        futures: list[Future[bytes]] = [
            pool.submit(hmac_many, key, share, prehash) for share in shares[1:]
        ]
    except (BrokenProcessPool, OSError, RuntimeError):
        _pool_broken = True
        return hmac_many(key, values, prehash)
    first = hmac_many(key, shares[0], prehash)
    try:
        return first + b"".join(future.result() for future in futures)
    except BrokenProcessPool:
        _pool_broken = True
        return first + b"".join(hmac_many(key, share, prehash) for share in shares[1:])
