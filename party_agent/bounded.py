"""Back-pressure for Arrow's streaming CSV reader.

``pyarrow.csv.open_csv`` reads its input on a background thread as fast as the disk
allows and keeps every block it has read until the consumer asks for the matching
batch. When tokenizing is slower than reading (always), a 10 GB file ends up in memory
(measured: 1 GB of buffers after the first batch of a 1 GB file). :class:`BoundedStream`
sits between the file and the reader and makes ``read`` wait while more than ``limit``
bytes have been read ahead of what the consumer has taken, so memory stays bounded by a
few blocks whatever the file size.
"""

from __future__ import annotations

import threading
from typing import Protocol


class _Readable(Protocol):
    def read(self, nbytes: int | None = ..., /) -> bytes: ...

    def close(self) -> None: ...


#: Safety valve: if the consumer has not taken anything for this long, read anyway.
#: The reader never needs more than a block ahead, so this only matters if that changes.
STALL_SECONDS = 30.0


class BoundedStream:
    """A read-only, non-seekable file object over ``stream`` with a read-ahead limit."""

    def __init__(self, stream: _Readable, limit: int) -> None:
        self._stream = stream
        self._limit = limit
        self._read = 0
        self._consumed = 0
        self._changed = threading.Condition()
        self.closed = False

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def writable(self) -> bool:
        return False

    def read(self, nbytes: int = -1) -> bytes:
        with self._changed:
            self._changed.wait_for(self._may_read, timeout=STALL_SECONDS)
            if self.closed:
                return b""
        data = self._stream.read(None if nbytes < 0 else nbytes)
        with self._changed:
            self._read += len(data)
        return data

    def _may_read(self) -> bool:
        return self.closed or self._read - self._consumed < self._limit

    def consumed(self, nbytes: int) -> None:
        """The consumer has taken a batch made from ``nbytes`` of input."""
        with self._changed:
            self._consumed += nbytes
            self._changed.notify_all()

    def close(self) -> None:
        with self._changed:
            self.closed = True
            self._changed.notify_all()
        self._stream.close()
