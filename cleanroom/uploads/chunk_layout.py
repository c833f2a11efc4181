"""The byte layout the footer gives the column chunks: one range per chunk, read alike by all.

Validation reads a file with pyarrow and queries read it with DuckDB, so both must read
the same bytes for every column chunk. The footer says where a chunk starts in two
fields, and the readers do not take them the same way: pyarrow starts at
``dictionary_page_offset`` only when it comes before ``data_page_offset``, DuckDB
whenever it is set (and at least 4). A footer whose dictionary offset points past the
data pages (at pages hidden after the last row group, say) has pyarrow validate clean
pages and DuckDB query others, raw identifiers among them (shown by
``tests/integration/test_server_upload.py``). So before any page is scanned:

* a chunk with a dictionary offset (other than 0, which both readers ignore) starts
  there, and it lies after the magic and not after the data page offset (equal to
  it, both readers start at the same byte);
* every chunk, ``[start, start + total_compressed_size)``, lies after the 4-byte magic
  and before the footer, and is not empty;
* no two chunks' ranges overlap (within a row group or across row groups);
* no chunk names a file of its own (``file_path``): pyarrow reads it from this file
  anyway, DuckDB refuses to read the chunk.

A row group of no rows is left out: neither reader reads a page of it (and pyarrow
writes its chunks with a data page offset of 0, after a dictionary page at 4). Gaps
between chunks are allowed: nothing reads them once every start is the one both
readers take (writers put page indexes and bloom filters after the row groups). The
refusals name chunks by position only, never a value or a column name from the file.
The page index is not checked: neither reader locates pages through it (a test points
an offset index at hidden pages and fails should a DuckDB upgrade start to).
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pyarrow.parquet as pq

from cleanroom.errors import MalformedParquet

#: The magic a Parquet file starts and ends with (before the first chunk, after the footer).
MAGIC = b"PAR1"


def chunk_span(chunk: pq.ColumnChunkMetaData) -> tuple[int, int]:
    """The bytes ``[start, end)`` of a column chunk: from its dictionary page when it
    has one (an offset of 0 is none: both readers ignore it), else from its first data
    page, for ``total_compressed_size`` bytes."""
    start = chunk.data_page_offset
    if chunk.has_dictionary_page and chunk.dictionary_page_offset:
        start = chunk.dictionary_page_offset
    return start, start + chunk.total_compressed_size


def _where(group: int, column: int) -> str:
    return f"Parquet footer: the column chunk of row group {group + 1}, column {column + 1}"


def check_chunk_layout(metadata: pq.FileMetaData, data_end: int) -> None:
    """Refuse a footer whose column chunks DuckDB and pyarrow could read differently:
    ``data_end`` is where the footer starts (the file's size less the footer, its length
    and the magic)."""
    spans: list[tuple[int, int, int, int]] = []
    for group in range(metadata.num_row_groups):
        row_group = metadata.row_group(group)
        if row_group.num_rows == 0:  # no page of it is read
            continue
        for column in range(row_group.num_columns):
            chunk = row_group.column(column)
            if chunk.file_path:  # pyarrow ignores it, DuckDB refuses the chunk
                raise MalformedParquet(f"{_where(group, column)} refers to another file")
            dictionary = chunk.dictionary_page_offset if chunk.has_dictionary_page else None
            if dictionary and not len(MAGIC) <= dictionary <= chunk.data_page_offset:
                raise MalformedParquet(
                    f"{_where(group, column)} has its dictionary page offset after its "
                    "data pages or outside the file's data: readers would disagree on "
                    "where the chunk starts"
                )
            start, end = chunk_span(chunk)
            if start < len(MAGIC) or end <= start or end > data_end:
                raise MalformedParquet(
                    f"{_where(group, column)} lies outside the file's data (between the "
                    "magic and the footer)"
                )
            spans.append((start, end, group, column))
    spans.sort()
    for (_, end, *first), (start, _, group, column) in pairwise(spans):
        if start < end:
            raise MalformedParquet(
                f"{_where(group, column)} overlaps the column chunk of row group "
                f"{first[0] + 1}, column {first[1] + 1}: each chunk must have bytes of its own"
            )


def data_end_of(path: Path) -> int:
    """Where the footer of the Parquet file at ``path`` starts (its size when the length
    field cannot be read: the reader refuses such a file anyway)."""
    with path.open("rb") as handle:
        size = handle.seek(0, 2)
        if size < 8:
            return size
        handle.seek(size - 8)
        length = int.from_bytes(handle.read(4), "little")
    return size - length - 8
