"""Validation while an upload's chunks arrive, so ``complete`` only finishes the work.

Parquet keeps its schema and the byte range of every row group in the footer, at the
end of the file. The agent sends that footer (the file's last bytes) with the session
(``POST .../uploads`` ``footer``); the server keeps it beside the temp file
(``<id>.footer``) and, each time a chunk is stored, scans in a worker thread every row
group whose bytes have all arrived: the PII tripwire, the unsalted-digest probes, the
point check of protocol v2, every page decoded (:func:`validation.scan_row_group`).

What waits for ``complete`` (:meth:`StreamingCheck.finish`): the file's last bytes must
equal the footer the scans trusted and its first bytes the Parquet magic (both are
covered by the whole-file SHA-256 checked before), the header checks against the
collaboration as it is then (:func:`validation.check_header`: schema, protocol, binding,
rows; cheap), the row groups not scanned yet (the last one, typically), the unsalted
totals and the row count. A session without a footer (or after a restart, which loses the
scans) is scanned the same way at ``complete``, from the file's own footer. The order of
the refusals is the order of a whole-file validation, so the same file gets the same
problem either way.
"""

from __future__ import annotations

import struct
import threading
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from cleanroom.errors import DatasetRejected, MalformedParquet
from cleanroom.uploads.chunk_layout import MAGIC, check_chunk_layout, chunk_span
from cleanroom.uploads.validation import (
    Expected,
    ScanPlan,
    ValidatedFile,
    check_header,
    open_for_scan,
    refuse_unsalted,
    scan_row_group,
)
from protocols import DatasetKind

#: The largest footer a session may carry (a footer grows with row groups x columns).
MAX_FOOTER_BYTES = 4 * 1024 * 1024


def footer_of(path: Path) -> bytes:
    """The footer of the Parquet file at ``path``: its metadata, length and magic."""
    with path.open("rb") as handle:
        size = handle.seek(0, 2)
        if size < 12:
            raise MalformedParquet("file is not a readable Parquet file")
        handle.seek(size - 8)
        length = struct.unpack("<I", handle.read(4))[0]
        if length + 12 > size:
            raise MalformedParquet("file is not a readable Parquet file")
        handle.seek(size - length - 8)
        return handle.read(length + 8)


def read_footer(footer: bytes, size: int) -> pq.FileMetaData:
    """The metadata in ``footer``, the end of a file of ``size`` bytes; every column
    chunk must lie between the magic and the footer, in bytes of its own, starting where
    pyarrow and DuckDB both start (:mod:`cleanroom.uploads.chunk_layout`)."""
    if len(footer) < 8 or footer[-4:] != MAGIC or len(footer) + 4 > size:
        raise MalformedParquet("file is not a readable Parquet file")
    try:
        metadata = pq.read_metadata(pa.BufferReader(MAGIC + footer))
    except (pa.ArrowException, OSError):
        raise MalformedParquet("file is not a readable Parquet file") from None
    check_chunk_layout(metadata, size - len(footer))
    return metadata


def _end(group: pq.RowGroupMetaData) -> int:
    """Where the last column chunk of ``group`` ends (a footer :func:`read_footer`
    accepted: every chunk has one start both readers take, and ends before the footer)."""
    ends = [chunk_span(group.column(index))[1] for index in range(group.num_columns)]
    return max(ends, default=len(MAGIC))


class StreamingCheck:
    """The scans of one upload's row groups, made as their bytes arrive (thread-safe)."""

    def __init__(self, path: Path, footer: bytes, size: int) -> None:
        self._path, self._footer, self._size = path, footer, size
        self._lock = threading.Lock()
        self._next, self._rows = 0, 0
        self._unsalted = Counter[str]()
        self._error: DatasetRejected | None = None
        try:
            self._metadata: pq.FileMetaData | None = read_footer(footer, size)
            self._ends = [
                _end(self._metadata.row_group(i)) for i in range(self._metadata.num_row_groups)
            ]
            self._plan = ScanPlan.of(self._metadata.schema.to_arrow_schema())
        except DatasetRejected as error:
            self._metadata, self._ends, self._error = None, [], error

    @property
    def scanned(self) -> int:
        """Row groups scanned so far."""
        return self._next

    def advance(self, received: int) -> None:
        """Scan every row group whose bytes lie below ``received`` (a stored offset)."""
        with self._lock:
            while (
                self._error is None and self._metadata is not None and self._next < len(self._ends)
            ):
                if self._ends[self._next] > received:
                    return
                self._scan_next()

    def _scan_next(self) -> None:
        try:  # opened afresh: a reader keeps the file size it saw when opened
            parquet = open_for_scan(self._path, self._plan, self._metadata)
            self._rows += scan_row_group(
                parquet, self._next, self._plan, self._unsalted, self._path
            )
            self._next += 1
        except DatasetRejected as error:
            self._error = error

    def finish(self, kind: DatasetKind, expected: Expected) -> ValidatedFile:
        """Once every byte is stored and its SHA-256 checked: the checks that need the
        whole file, in the order of :func:`validation.validate_dataset`."""
        if self._metadata is None or not self._ends_as_declared():
            raise self._error or MalformedParquet("file is not a readable Parquet file")
        schema = self._metadata.schema.to_arrow_schema()
        check_header(schema, self._metadata.num_rows, kind, expected)
        self.advance(self._size)
        if self._error is not None:
            raise self._error
        refuse_unsalted(self._unsalted)
        if self._rows != self._metadata.num_rows:
            raise MalformedParquet("row count in the footer does not match the data")
        return ValidatedFile(rows=self._rows, columns=list(schema.names))

    def _ends_as_declared(self) -> bool:
        """The stored file starts with the magic and ends with the footer scanned against."""
        with self._path.open("rb") as handle:
            head = handle.read(len(MAGIC))
            handle.seek(self._size - len(self._footer))
            tail = handle.read(len(self._footer))
        if head == MAGIC and tail == self._footer:
            return True
        self._error = MalformedParquet(
            "the footer sent when the upload started is not the end of the file"
        )
        return False

    def close(self) -> None:
        """Stop: later calls to :meth:`advance` scan nothing."""
        with self._lock:
            self._ends = []


def check_whole_file(path: Path) -> StreamingCheck:
    """A check of a file stored without a footer sent first: everything at ``finish``."""
    size = path.stat().st_size
    try:
        return StreamingCheck(path, footer_of(path), size)
    except DatasetRejected:
        return StreamingCheck(path, b"", size)
