"""Share CPU-bound work among all cores: the calling process and worker processes.

hashlib and the Ed25519 bindings hold the GIL for short inputs, so threads do not help;
worker processes do. The pool is started lazily with the ``forkserver`` method (safe
next to Arrow's and DuckDB's threads) and reused. Where workers cannot start (a program
read from stdin, a sandbox without fork) the work runs in the calling process: same
results, slower.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

_pool: ProcessPoolExecutor | None = None
_pool_broken = False


def usable_cores() -> int:
    """Cores this process may run on (at most 16)."""
    return max(1, min(len(os.sched_getaffinity(0)), 16))


def _get_pool() -> ProcessPoolExecutor:
    global _pool
    if _pool is None:
        context = multiprocessing.get_context("forkserver")
        _pool = ProcessPoolExecutor(max_workers=usable_cores() - 1, mp_context=context)
        atexit.register(_pool.shutdown, cancel_futures=True)
    return _pool


def split(items: Sequence[T], parts: int) -> list[Sequence[T]]:
    """``items`` cut into at most ``parts`` contiguous, nearly equal slices."""
    step = max(1, -(-len(items) // max(parts, 1)))
    return [items[i : i + step] for i in range(0, len(items), step)]


def map_shares(function: Callable[[Sequence[T]], R], items: Sequence[T], minimum: int) -> list[R]:
    """``[function(share) for share in split(items, cores)]``, shares run concurrently.

    ``function`` must be a module-level function (it is pickled by reference). Inputs
    shorter than ``minimum`` run in the calling process as one share.
    """
    global _pool_broken
    cores = usable_cores()
    if _pool_broken or cores == 1 or len(items) < minimum:
        return [function(items)]
    shares = split(items, cores)
    try:
        pool = _get_pool()
        futures: list[Future[R]] = [pool.submit(function, share) for share in shares[1:]]
    except (BrokenProcessPool, OSError, RuntimeError):
        _pool_broken = True
        return [function(share) for share in shares]
    first = function(shares[0])
    try:
        return [first, *(future.result() for future in futures)]
    except BrokenProcessPool:
        _pool_broken = True
        return [first, *(function(share) for share in shares[1:])]
