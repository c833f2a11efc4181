"""Write behind: hand finished batches to a background thread that writes them, in order.

The consumer of a tokenize run's output (the Parquet writer, the duplicate counter and
the probes for unsalted digests) costs about a third of the work per row and runs in
Arrow and numpy code that releases the GIL, so it overlaps with tokenizing the next
batch on a second core. At most ``depth`` batches wait, which keeps memory bounded. An
exception in the writer is re-raised in the producer by the next :meth:`put` or by
:meth:`close`; after one, the writer takes nothing more. Used as a context manager, a
failure of the producer drops what is still queued and waits for the thread.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class _Stop:
    pass


class WriteBehind(Generic[T]):
    """Runs ``write(item)`` for each :meth:`put` item in a background thread, in order."""

    def __init__(self, write: Callable[[T], None], depth: int = 2) -> None:
        self._write = write
        self._items: queue.Queue[T | _Stop] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="party-agent-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._items.get()
            if isinstance(item, _Stop):
                return
            if self._error is not None:
                continue  # drain: the producer learns of the error at its next call
            try:
                self._write(item)
            except BaseException as error:  # handed to the producer, which re-raises it
                self._error = error

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def put(self, item: T) -> None:
        """Queue ``item`` (waits while ``depth`` items wait); raises the writer's error."""
        self._raise()
        self._items.put(item)

    def close(self) -> None:
        """Wait until every queued item is written; raises the writer's error."""
        self._items.put(_Stop())
        self._thread.join()
        self._raise()

    def __enter__(self) -> WriteBehind[T]:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        """Closes; when the block failed, its exception stands, not the writer's."""
        if kind is None:
            self.close()
            return
        self._error = self._error or _Abandoned()
        self._items.put(_Stop())
        self._thread.join()


class _Abandoned(Exception):
    """Marks a writer whose producer failed: the items still queued are dropped."""
