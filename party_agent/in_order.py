"""Map a function over a stream on several threads, results in the stream's order.

Tokenizing a batch is mostly Arrow kernels, regexes and the compiled HMAC kernel, all
of which release the GIL, so two batches tokenized at once keep two cores busy where
one batch at a time leaves the second core mostly idle. At most ``threads`` items are
in flight (each holds one batch: memory stays bounded): when the oldest is done, the
next item is taken from the source and started, then the oldest's result is handed on.
Results come out in the order of their items. An item that fails raises its exception
when its turn comes, as in a plain loop: the results before it are handed on, the items
after it are dropped (those already running are waited for, so nothing runs on once the
exception is out).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def map_in_order(
    function: Callable[[T], R], items: Iterable[T], threads: int
) -> Generator[R, None, None]:
    """``function(item)`` for each item, on up to ``threads`` threads, yielded in order.

    With ``threads`` 1 everything runs in the calling thread, one item at a time.
    """
    if threads <= 1:
        for item in items:
            yield function(item)
        return
    source = iter(items)
    pending: deque[Future[R]] = deque()
    with ThreadPoolExecutor(threads, thread_name_prefix="party-agent-tokenize") as pool:
        try:
            for item in source:
                pending.append(pool.submit(function, item))
                if len(pending) >= threads:
                    break
            while pending:
                result = pending.popleft().result()
                for item in source:
                    pending.append(pool.submit(function, item))
                    break
                yield result
        finally:
            for future in pending:
                future.cancel()
            # leaving the executor's block waits for the items already running
