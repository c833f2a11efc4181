"""Read ahead: run an iterator in a background thread, a bounded number of items ahead.

Arrow's CSV and Parquet readers release the GIL while they parse, so reading the next
batch overlaps with tokenizing the current one. At most ``depth`` batches wait in the
queue, which keeps memory bounded. An exception in the reader is re-raised in the
consumer; closing the consumer early stops the reader. Close the consumer explicitly
(``contextlib.closing``) rather than leaving it to the garbage collector.
"""

from __future__ import annotations

import queue
import sys
import threading
from collections.abc import Generator, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")
#: How long closing waits for the reader to notice (it checks every 0.1 s).
JOIN_SECONDS = 10.0


class _Done:
    pass


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class _Reader(Generic[T]):
    def __init__(self, source: Iterator[T], depth: int) -> None:
        self.source = source
        self.items: queue.Queue[T | _Done | _Failed] = queue.Queue(maxsize=depth)
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            for item in self.source:
                if not self._put(item):
                    return
            self._put(_Done())
        except BaseException as error:  # handed to the consumer, which re-raises it
            self._put(_Failed(error))
        finally:
            close = getattr(self.source, "close", None)
            if close is not None:
                close()  # a generator's ``finally`` (closing the input file) runs here

    def _put(self, item: T | _Done | _Failed) -> bool:
        while not self.stopped.is_set():
            try:
                self.items.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False


def prefetch(source: Iterator[T], depth: int = 2) -> Generator[T, None, None]:
    """Yield the items of ``source``, produced by a background thread ``depth`` ahead."""
    reader = _Reader(source, depth)
    thread = threading.Thread(target=reader.run, name="party-agent-reader", daemon=True)
    thread.start()
    try:
        while True:
            item = reader.items.get()
            if isinstance(item, _Done):
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        reader.stopped.set()
        if not sys.is_finalizing():  # at interpreter exit the thread can never finish
            thread.join(timeout=JOIN_SECONDS)
