"""Run one function over shares of a large Arrow array, on every core.

:func:`map_shares_in_threads` is for functions that release the GIL for most of their
work (the compiled HMAC kernel, Arrow compute): no data is copied, and on a busy machine
a thread costs nothing but a share. :func:`map_shares` uses processes, for the rest:

hashlib holds the GIL for short inputs, so threads do not help tokenization; processes
do. The calling process keeps the first share and worker processes take the others.
Workers are plain forkserver processes, each at the end of a pipe, and the calling
process does all sending and receiving itself: each share goes out as one Arrow IPC
message before the caller starts on its own share, and each result comes back as one
pickle. (A ``ProcessPoolExecutor`` moves data on helper threads and pickles Python
objects; this moves bytes only.)

Where workers cannot start (a program read from stdin, a sandbox without fork, a
daemonic process, another thread already using them) everything runs in the calling
process: same results, slower. Programs that use the workers need the usual
``if __name__ == "__main__":`` guard, as with any forkserver or spawn start method.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from typing import Any, TypeVar

import pyarrow as pa

R = TypeVar("R")
#: A module-level function (workers import it by name) of a share and fixed arguments.
ShareFunction = Callable[..., R]

_PRELOAD = ["protocols.workers", "protocols.hmac_batch", "duckdb"]


def cores() -> int:
    return max(1, min(len(os.sched_getaffinity(0)), 16))


def _to_ipc(values: pa.Array) -> bytes:
    sink = pa.BufferOutputStream()
    batch = pa.record_batch([values], names=["m"])
    with pa.ipc.new_stream(sink, batch.schema) as writer:
        writer.write_batch(batch)
    return bytes(sink.getvalue())


def _serve(conn: Connection) -> None:
    """Worker loop: (function, args) then an Arrow IPC message in, (ok, result) out."""
    while True:
        try:
            function, args = conn.recv()
            payload = conn.recv_bytes()
        except (EOFError, OSError):
            return
        try:
            values = pa.ipc.open_stream(payload).read_all().column(0).combine_chunks()
            reply: tuple[bool, Any] = (True, function(values, *args))
        except Exception:  # reported as not ok: the caller then runs the share itself
            reply = (False, None)
        conn.send(reply)


class _Worker:
    def __init__(self, context: multiprocessing.context.ForkServerContext) -> None:
        self.conn, child_end = context.Pipe()
        self.process = context.Process(
            target=_serve, args=(child_end,), daemon=True, name="protocols-worker"
        )
        self.process.start()
        child_end.close()

    def close(self) -> None:
        self.conn.close()
        self.process.join(timeout=1)


class _Pool:
    """The worker processes of this process (new ones after a fork)."""

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
            context.set_forkserver_preload(_PRELOAD)
            self.workers = [_Worker(context) for _ in range(count)]
        return self.workers

    def close(self) -> None:
        if self.pid == os.getpid():
            for worker in self.workers:
                worker.close()
        self.workers = []


_pool = _Pool()
atexit.register(_pool.close)


#: Extra fraction of the rows kept by the calling process: a worker's share also waits
#: for its data to arrive and for its result to be pickled and sent back.
CALLER_EXTRA = 0.02


def _shares(values: pa.Array, parts: int) -> list[pa.Array]:
    """``parts`` consecutive slices; the first (the caller's) a little larger."""
    first = min(len(values), int(len(values) * (1 / parts + CALLER_EXTRA)))
    step = max(1, -(-(len(values) - first) // (parts - 1)))
    rest = [values.slice(i, step) for i in range(first, len(values), step)]
    return [values.slice(0, first), *rest]


def map_shares(
    function: ShareFunction[R], values: pa.Array, args: tuple[Any, ...], threshold: int
) -> list[R]:
    """``function(share, *args)`` for consecutive shares of ``values``, in order.

    Arrays shorter than ``threshold`` are one share, run in the calling process.
    """
    count = cores()
    if (
        _pool.broken
        or count == 1
        or len(values) < threshold
        or multiprocessing.current_process().daemon
        or not _pool.lock.acquire(blocking=False)
    ):
        return [function(values, *args)]
    try:
        return _map_shared(function, values, args, count)
    finally:
        _pool.lock.release()


def _map_shared(
    function: ShareFunction[R], values: pa.Array, args: tuple[Any, ...], count: int
) -> list[R]:
    first, *rest = _shares(values, count)
    try:
        workers = _pool.get(count - 1)
        for worker, share in zip(workers, rest, strict=False):
            worker.conn.send((function, args))
            worker.conn.send_bytes(_to_ipc(share))
    except (OSError, EOFError, RuntimeError, ValueError):
        _pool.broken = True
        return [function(values, *args)]
    results = [function(first, *args)]
    for worker, share in zip(workers, rest, strict=False):
        try:
            ok, result = worker.conn.recv()
        except (OSError, EOFError):
            _pool.broken = True
            ok, result = False, None
        results.append(result if ok else function(share, *args))
    return results


class _Threads:
    """This process's thread pool (a new one after a fork: threads do not survive it)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.executor: ThreadPoolExecutor | None = None
        self.pid = -1

    def get(self, count: int) -> ThreadPoolExecutor:
        with self.lock:
            if self.executor is None or self.pid != os.getpid():
                self.executor = ThreadPoolExecutor(count, thread_name_prefix="protocols")
                self.pid = os.getpid()
            return self.executor


_threads = _Threads()


def map_shares_in_threads(
    function: ShareFunction[R],
    values: pa.Array,
    args: tuple[Any, ...],
    threshold: int,
    pieces_per_core: int = 1,
) -> list[R]:
    """Like :func:`map_shares`, with threads of this process taking the other shares.

    ``values`` is cut into ``pieces_per_core`` pieces per core, and the calling thread
    and ``cores() - 1`` pool threads take the next piece as each finishes, so a core the
    machine gives less of does less (more pieces: better balance on a shared machine).
    Results come back in order; if pieces fail, the exception of the first failing
    piece is raised, as from one call over the whole array (later pieces may not run).
    """
    count = cores()
    if count == 1 or len(values) < threshold:
        return [function(values, *args)]
    step = -(-len(values) // (count * max(1, pieces_per_core)))
    pieces = [values.slice(i, step) for i in range(0, len(values), step)]
    work = _Pieces(function, pieces, args)
    pending = [_threads.get(count - 1).submit(work.run) for _ in range(min(count, len(pieces)) - 1)]
    work.run()
    for future in pending:
        future.result()
    return work.results()


class _Pieces:
    """Pieces handed out in order to whichever thread asks next."""

    def __init__(self, function: ShareFunction[Any], pieces: list[pa.Array], args: tuple[Any, ...]):
        self.function, self.pieces, self.args = function, pieces, args
        self.lock = threading.Lock()
        self.done: list[Any] = [None] * len(pieces)
        self.next = 0
        self.failed = len(pieces)  # index of the first failed piece so far
        self.error: BaseException | None = None

    def _take(self) -> int | None:
        with self.lock:
            if self.next >= len(self.pieces) or self.next > self.failed:
                return None
            self.next += 1
            return self.next - 1

    def run(self) -> None:
        while (index := self._take()) is not None:
            try:
                self.done[index] = self.function(self.pieces[index], *self.args)
            except BaseException as error:  # re-raised by results() in the caller
                with self.lock:
                    if index < self.failed:
                        self.failed, self.error = index, error

    def results(self) -> list[Any]:
        if self.error is not None:
            raise self.error
        return self.done
