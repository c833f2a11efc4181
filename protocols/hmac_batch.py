"""HMAC-SHA256 over many short messages, fast and on every core.

A per-row ``hmac.new(...)`` call re-derives the padded key for every value. Here the
inner and outer SHA-256 states of the key (RFC 2104) are computed once and copied per
value, and large batches are split between the calling process and worker processes
(hashlib holds the GIL for short inputs, so threads would not help). The result is
byte-for-byte ``hmac.digest``; the unit tests check that on every vector.

Workers are plain forkserver processes, each at the end of a pipe, and the calling
process does all sending and receiving itself: each worker's share goes out as one
Arrow IPC message before the caller starts hashing its own share, and the digests come
back as one bytes message. (A ``ProcessPoolExecutor`` moves data on helper threads,
which must win the GIL back from the hashing loop for every 64 KiB pipe write; that
made the parallel path barely faster than the serial one.)
"""

from __future__ import annotations

import atexit
import hashlib
import multiprocessing
import os
import threading
from collections.abc import Sequence
from multiprocessing.connection import Connection
from typing import TypeAlias

import pyarrow as pa

DIGEST_BYTES = 32
_BLOCK = 64
#: Batches smaller than this are hashed in the calling process only.
PARALLEL_THRESHOLD = 100_000

Messages: TypeAlias = Sequence[str] | pa.StringArray


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
        return values.cast(pa.binary()).to_pylist()  # type: ignore[no-any-return]
    return [value.encode() for value in values]


def hmac_many(key: bytes, values: Messages | pa.BinaryArray, prehash: bool) -> bytes:
    """Concatenated ``HMAC-SHA256(key, m)`` for each value, in order.

    ``m`` is the UTF-8 value, or, when ``prehash`` is true, the lowercase hex SHA-256
    of the UTF-8 value (the email/phone rule of protocol v1). Values must not be null.
    """
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


def _cores() -> int:
    return max(1, min(len(os.sched_getaffinity(0)), 16))


def _to_ipc(values: pa.Array) -> bytes:
    sink = pa.BufferOutputStream()
    batch = pa.record_batch([values], names=["m"])
    with pa.ipc.new_stream(sink, batch.schema) as writer:
        writer.write_batch(batch)
    return bytes(sink.getvalue())


def _serve(conn: Connection) -> None:
    """Worker loop: (key, prehash) then an Arrow IPC message in, digests out."""
    while True:
        try:
            key, prehash = conn.recv()
            payload = conn.recv_bytes()
        except (EOFError, OSError):
            return
        try:
            values = pa.ipc.open_stream(payload).read_all().column(0).combine_chunks()
            digests = hmac_many(key, values, prehash)
        except Exception:  # reported as b"": the caller then hashes the share itself
            digests = b""
        conn.send_bytes(digests)


class _Worker:
    def __init__(self, context: multiprocessing.context.ForkServerContext) -> None:
        self.conn, child_end = context.Pipe()
        self.process = context.Process(
            target=_serve, args=(child_end,), daemon=True, name="protocols-hmac"
        )
        self.process.start()
        child_end.close()

    def close(self) -> None:
        self.conn.close()
        self.process.join(timeout=1)


class _Pool:
    """The worker processes of this process (recreated after a fork)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.workers: list[_Worker] = []
        self.pid = -1
        self.broken = False

    def get(self, count: int) -> list[_Worker]:
        if self.pid != os.getpid():
            self.workers, self.pid = [], os.getpid()
        if not self.workers:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["protocols.hmac_batch"])
            self.workers = [_Worker(context) for _ in range(count)]
        return self.workers

    def close(self) -> None:
        if self.pid == os.getpid():
            for worker in self.workers:
                worker.close()
        self.workers = []


_pool = _Pool()
atexit.register(_pool.close)


def _shares(values: pa.Array, parts: int) -> list[pa.Array]:
    step = -(-len(values) // parts)
    return [values.slice(i, step) for i in range(0, len(values), step)]


def hmac_many_parallel(key: bytes, values: Messages, prehash: bool) -> bytes:
    """Like :func:`hmac_many`, with large batches shared among all cores.

    The calling process hashes the first share while worker processes hash the rest.
    Where workers cannot start (a program read from stdin, a sandbox without fork, a
    daemonic process, another thread already using them) it falls back to the calling
    process alone: same bytes, slower.
    """
    cores = _cores()
    if (
        _pool.broken
        or cores == 1
        or len(values) < PARALLEL_THRESHOLD
        or multiprocessing.current_process().daemon
        or not _pool.lock.acquire(blocking=False)
    ):
        return hmac_many(key, values, prehash)
    try:
        return _hash_shared(key, values, prehash, cores)
    finally:
        _pool.lock.release()


def _hash_shared(key: bytes, values: Messages, prehash: bool, cores: int) -> bytes:
    array = values if isinstance(values, pa.Array) else pa.array(values, pa.string())
    first, *rest = _shares(array, cores)
    try:
        workers = _pool.get(cores - 1)
        for worker, share in zip(workers, rest, strict=False):
            worker.conn.send((key, prehash))
            worker.conn.send_bytes(_to_ipc(share))
    except (OSError, EOFError, RuntimeError, ValueError):
        _pool.broken = True
        return hmac_many(key, values, prehash)
    digests = [hmac_many(key, first, prehash)]
    for worker, share in zip(workers, rest, strict=False):
        try:
            result = worker.conn.recv_bytes()
        except (OSError, EOFError):
            _pool.broken = True
            result = b""
        digests.append(result or hmac_many(key, share, prehash))
    return b"".join(digests)
