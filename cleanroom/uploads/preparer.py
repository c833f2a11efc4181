"""The server's background preparation of published versions for queries (issue 17).

``complete`` publishes the uploaded bytes as they are and hands the version's file to
:class:`Preparer`, which prepares it (:func:`cleanroom.uploads.prepare.prepare_for_queries`)
into its sibling (:func:`cleanroom.storage.dataset_files.prepared_sibling`) on one worker
thread, one file at a time, under DuckDB's 512 MB preparation limit. Queries read the
sibling once it exists and the uploaded file until then, with the same results
(:func:`cleanroom.storage.dataset_files.query_file`), so ``complete`` answers as soon as
the file is validated and published instead of after a minute of sorting a 1 GiB file.

Crash safety: the worker writes only inside ``DATA_DIR/prepare`` (emptied whenever a
Preparer starts) and renames a complete, fsynced file into place, so a kill leaves either
the whole sibling or none; the server schedules every published version again on start,
and a version already prepared is skipped.

Disk: one preparation's work folder (the on-disk DuckDB table, the sort's spill under
its 512 MB memory limit, and the sibling written inside it) grows with the rows more
than with the file: measured peaks were 3.7x the file for 72 and 143 MiB files, 7.5x
(spill 4.9x) for a 973 MiB file of 29M rows, i.e. 3.4x its rows times their width as
DuckDB sorts them, and 0.44x that width for a 270 kB file of one row repeated 20M
times. So each scheduled file reserves :func:`preparation_space`, the larger of
:data:`PREPARATION_SPACE_FACTOR` times its size and :data:`ROW_SPACE_FACTOR` times its
rows' width, until it is done, and DuckDB may spill no more than that. New uploads are
refused when they would eat into the reservation
(:func:`cleanroom.uploads.sessions.check_capacity`), and a preparation that would leave
less than the server's ``disk_reserve_bytes`` free is skipped with a warning (queries read
the uploaded file, slower and with the same results; it is tried again at the next start)
instead of filling the disk the database writes to.
"""

from __future__ import annotations

import logging
import queue
import shutil
import threading
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from cleanroom.storage.dataset_files import prepared_sibling
from cleanroom.uploads.prepare import PreparationStopped, prepare_for_queries

__all__ = ["PREPARATION_SPACE_FACTOR", "ROW_SPACE_FACTOR", "Preparer", "preparation_space"]

log = logging.getLogger("cleanroom")

PREPARATION_SPACE_FACTOR = 4
"""Disk one preparation may use, as a multiple of the uploaded file's size."""
ROW_SPACE_FACTOR = 5
"""... and as a multiple of its rows times their width in DuckDB's sort (peak 3.4x)."""


class Preparer:
    """One daemon thread preparing scheduled version files in order."""

    def __init__(self, data_dir: Path, reserve_bytes: int = 0) -> None:
        """``reserve_bytes``: free space a preparation must leave on ``data_dir``'s disk."""
        self._data_dir = data_dir
        self._work = data_dir / "prepare"
        self._reserve = reserve_bytes
        shutil.rmtree(self._work, ignore_errors=True)
        self._queue: queue.Queue[tuple[Path, int] | None] = queue.Queue()
        self._stop = threading.Event()
        self._idle = threading.Condition()
        self._pending = 0
        self._reserved = 0
        self._thread = threading.Thread(target=self._run, name="cleanroom-prepare", daemon=True)
        self._thread.start()

    def schedule(self, files: Iterable[Path]) -> None:
        """Prepare each of these version files, unless its sibling exists by then."""
        for path in files:
            space = preparation_space(path)
            with self._idle:
                self._pending += 1
                self._reserved += space
            self._queue.put((path, space))

    def reserved_bytes(self) -> int:
        """Disk the scheduled preparations not yet done may still take."""
        with self._idle:
            return self._reserved

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until everything scheduled is done (or ``timeout`` seconds): True if idle."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def close(self, timeout: float = 30.0) -> None:
        """Stop: the file being prepared is abandoned at its next batch (nothing is
        written; the next start prepares it again) and the thread is joined."""
        self._stop.set()
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            path, space = item
            try:
                if not self._stop.is_set():
                    self._prepare(path, space)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._reserved -= space
                    self._idle.notify_all()

    def _prepare(self, path: Path, space: int) -> None:
        sibling = prepared_sibling(path)
        if sibling.exists() or not path.is_file():
            return  # prepared already, or no longer published (a v2 file once blinded)
        free = shutil.disk_usage(self._data_dir).free
        if free - self._reserve < space:
            log.warning(
                "not preparing %s for queries: it needs up to %d bytes of disk and %d are "
                "free beyond the reserve; queries read it unprepared (tried again at the "
                "next start)",
                path.relative_to(self._data_dir),
                space,
                max(free - self._reserve, 0),
            )
            return
        try:
            prepare_for_queries(
                path, sibling, work=self._work / "current", max_spill_bytes=space, stop=self._stop
            )
        except PreparationStopped:
            return
        except Exception as error:  # queries keep reading the uploaded file: slower, same
            log.warning(  # the type and the file only: a message could quote a value
                "preparing %s for queries failed (%s); queries read it unprepared",
                path.relative_to(self._data_dir),
                type(error).__name__,
            )


_STRING_BYTES = 16
"""A string as DuckDB holds it in a row (more for one longer than 12 bytes)."""


def _width(data_type: pa.DataType) -> int:
    if pa.types.is_fixed_size_binary(data_type):
        return int(data_type.byte_width)
    if pa.types.is_integer(data_type) or pa.types.is_floating(data_type):
        return int(data_type.bit_width) // 8
    if pa.types.is_boolean(data_type):
        return 1
    return _STRING_BYTES


def preparation_space(path: Path) -> int:
    """The disk a preparation of ``path`` may use: :data:`PREPARATION_SPACE_FACTOR` times
    its size, and at least :data:`ROW_SPACE_FACTOR` times its rows times their width as
    DuckDB sorts them (the columns
    it has, each token's user number, the flags and the row number), whatever the file's
    compression (a party may send one row repeated millions of times)."""
    try:
        metadata = pq.read_metadata(path)
        schema = metadata.schema.to_arrow_schema()
    except (OSError, pa.ArrowException):
        return PREPARATION_SPACE_FACTOR * _size(path)
    tokens = sum(1 for name in schema.names if name.startswith("token_"))
    width = sum(_width(field.type) for field in schema) + 10 * tokens + 8
    rows = int(metadata.num_rows)
    return max(PREPARATION_SPACE_FACTOR * _size(path), ROW_SPACE_FACTOR * rows * width)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # gone already (a v2 file once blinded): nothing to prepare
        return 0
