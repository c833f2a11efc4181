"""The footer's column-chunk layout: one start per chunk that pyarrow (validation) and
DuckDB (queries) both take, inside the data, no two chunks sharing bytes; files the
usual writers make pass."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cleanroom.errors import MalformedParquet
from cleanroom.uploads.chunk_layout import check_chunk_layout, data_end_of
from cleanroom.uploads.streaming import check_whole_file, read_footer
from cleanroom.uploads.validation import Expected, validate_dataset
from protocols import DatasetKind
from protocols.binding import key_checks
from tests.integration.datasets import SEED_KEY, exposures_table
from tests.parquet_footers import (
    DATA_PAGE_OFFSET,
    DICTIONARY_PAGE_OFFSET,
    column_metadata_fields,
    hide_offset_index,
    hide_pages,
    parts,
    token_file,
    with_file_path,
    with_offset,
)

COLLAB = "col_chunk_layout"
EXPECTED = Expected(COLLAB, key_checks(SEED_KEY, COLLAB))
ROWS = 40
BLOOM_FILTER_OFFSET = 14


def digests_instead(table: pa.Table) -> pa.Table:
    """``table`` with its tokens replaced by the unsalted SHA-256 of the emails."""
    digests = [hashlib.sha256(f"user{i}@example.com".encode()).digest() for i in range(ROWS)]
    return table.set_column(0, table.schema.field(0), pa.array(digests, pa.binary(32)))


def crafted() -> tuple[pa.Table, pa.Table, bytes]:
    clean = exposures_table(COLLAB, rows=ROWS)
    dirty = digests_instead(clean)
    return clean, dirty, hide_pages(token_file(clean), token_file(dirty))


def layout_of(data: bytes) -> None:
    region, _ = parts(data)
    check_chunk_layout(pq.read_metadata(io.BytesIO(data)), len(region))


def test_a_dictionary_offset_past_the_data_pages_makes_duckdb_read_other_pages(
    tmp_path: Path,
) -> None:
    """The attack, shown: pyarrow (every check of an upload) starts the token chunk at
    its data pages and reads the clean tokens; DuckDB (every query) starts it at the
    dictionary offset and reads the hidden pages, unsalted digests of emails."""
    clean, dirty, data = crafted()
    path = tmp_path / "crafted.parquet"
    path.write_bytes(data)
    assert pq.read_table(path).column("token_email").equals(clean.column("token_email"))
    engine = duckdb.execute("SELECT token_email FROM read_parquet(?)", [str(path)]).fetchall()
    assert [row[0] for row in engine] == dirty.column("token_email").to_pylist()


def test_duckdb_reads_no_page_an_offset_index_points_at_elsewhere(tmp_path: Path) -> None:
    """The page index is not part of the layout check: pyarrow and DuckDB 2.0.1 read a
    chunk from its own offsets, not from its offset index (a page index a party points
    at hidden pages changes nothing either reads, filtered or not). Should a DuckDB
    upgrade start reading pages through the offset index, this fails, and the index
    must then be checked too (``cleanroom/uploads/chunk_layout.py``)."""

    def indexed(table: pa.Table) -> bytes:
        sink = io.BytesIO()
        pq.write_table(table, sink, compression="none", use_dictionary=False, write_page_index=True)
        return sink.getvalue()

    clean = exposures_table(COLLAB, rows=ROWS)
    path = tmp_path / "crafted.parquet"
    path.write_bytes(hide_offset_index(indexed(clean), indexed(digests_instead(clean))))
    tokens = clean.column("token_email").to_pylist()
    assert pq.read_table(path).column("token_email").to_pylist() == tokens
    queries = {
        "SELECT token_email FROM read_parquet(?)": tokens,
        "SELECT token_email FROM read_parquet(?) WHERE exposure_time > 1700000005": tokens[6:],
    }
    for query, rows in queries.items():
        assert [row[0] for row in duckdb.execute(query, [str(path)]).fetchall()] == rows
    layout_of(path.read_bytes())


def test_the_crafted_file_is_refused_by_every_validation(tmp_path: Path) -> None:
    _, _, data = crafted()
    path = tmp_path / "upload.part"
    path.write_bytes(data)
    region, _ = parts(data)
    refusal = "dictionary page offset after its data pages"
    with pytest.raises(MalformedParquet, match=refusal):
        read_footer(data[len(region) :], len(data))
    with pytest.raises(MalformedParquet, match=refusal):
        check_whole_file(path).finish(DatasetKind.EXPOSURES, EXPECTED)
    with pytest.raises(MalformedParquet, match=refusal):
        validate_dataset(path, DatasetKind.EXPOSURES, EXPECTED)
    # the same file with its dictionary offset left out is the clean file, and passes
    path.write_bytes(token_file(exposures_table(COLLAB, rows=ROWS)))
    assert validate_dataset(path, DatasetKind.EXPOSURES, EXPECTED).rows == ROWS


def test_chunks_that_share_bytes_or_leave_the_data_are_refused() -> None:
    data = token_file(exposures_table(COLLAB, rows=ROWS))
    chunks = pq.read_metadata(io.BytesIO(data)).row_group(0)
    tokens, times = chunks.column(0), chunks.column(2)  # no dictionary on either
    assert not times.has_dictionary_page
    inside_tokens = with_offset(data, 2, DATA_PAGE_OFFSET, tokens.data_page_offset + 8)
    with pytest.raises(MalformedParquet, match="row group 1, column 3 overlaps"):
        layout_of(inside_tokens)
    with pytest.raises(MalformedParquet, match="outside the file's data"):
        layout_of(with_offset(data, 2, DATA_PAGE_OFFSET, len(parts(data)[0]) - 4))
    with pytest.raises(MalformedParquet, match="outside the file's data"):
        layout_of(with_offset(data, 0, DATA_PAGE_OFFSET, 0))
    campaign = chunks.column(1)
    assert campaign.has_dictionary_page
    for offset in (2, campaign.data_page_offset + 1):  # pyarrow starts at 2, DuckDB at 4
        with pytest.raises(MalformedParquet, match="dictionary page offset"):
            layout_of(with_offset(data, 1, DICTIONARY_PAGE_OFFSET, offset))
    # both readers start at the data pages when the offsets are equal (and ignore a 0)
    for offset in (0, tokens.data_page_offset):
        layout_of(with_offset(data, 0, DICTIONARY_PAGE_OFFSET, offset))


def test_a_chunk_in_another_file_is_refused(tmp_path: Path) -> None:
    """pyarrow ignores ``file_path`` and validates the pages in this file; DuckDB refuses
    to read the chunk, so it would publish a dataset no query of its tokens can read."""
    path = tmp_path / "referring.parquet"
    path.write_bytes(with_file_path(token_file(exposures_table(COLLAB, rows=ROWS)), b"x.parquet"))
    assert pq.read_metadata(path).row_group(0).column(0).file_path == "x.parquet"
    assert pq.read_table(path).num_rows == ROWS
    with pytest.raises(duckdb.Error, match="no references"):
        duckdb.execute("SELECT token_email FROM read_parquet(?)", [str(path)]).fetchall()
    with pytest.raises(MalformedParquet, match="row group 1, column 1 refers to another file"):
        layout_of(path.read_bytes())


def test_row_groups_that_share_bytes_are_refused() -> None:
    sink = io.BytesIO()
    table = exposures_table(COLLAB, rows=ROWS)
    pq.write_table(table, sink, row_group_size=ROWS // 2, use_dictionary=False)
    data = sink.getvalue()
    first = pq.read_metadata(io.BytesIO(data)).row_group(0).column(2)
    twice = with_offset(data, 3 + 2, DATA_PAGE_OFFSET, first.data_page_offset)
    with pytest.raises(MalformedParquet, match="row group 2, column 3 overlaps"):
        layout_of(twice)


def test_files_the_usual_writers_make_pass(tmp_path: Path) -> None:
    """pyarrow as the agent writes, with several row groups, page indexes and bloom
    filters (written after the row groups), and DuckDB's ``COPY ... TO`` (dictionaries,
    several row groups, its own bloom filters) all keep to the layout."""
    table = exposures_table(COLLAB, rows=3_000)
    written = [tmp_path / name for name in ("agent", "pyarrow", "duckdb", "duckdb-small")]
    written[0].write_bytes(token_file(table))
    pq.write_table(
        table,
        written[1],
        row_group_size=700,
        write_page_index=True,
        bloom_filter_options={"campaign_id": {"ndv": 3, "fpp": 0.05}},
    )
    with duckdb.connect() as con:
        con.register("t", table)
        for path, size in ((written[2], 100_000), (written[3], 500)):
            con.execute(f"COPY t TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE {size})")
    for path in written:
        data = path.read_bytes()
        check_chunk_layout(pq.read_metadata(path), data_end_of(path))
        assert read_footer(data[len(parts(data)[0]) :], len(data)).num_rows == 3_000
    for path in written[:2]:  # DuckDB drops the token type and binding: refused for those
        assert validate_dataset(path, DatasetKind.EXPOSURES, EXPECTED).rows == 3_000
    assert pq.read_metadata(written[3]).num_row_groups > 1
    for path in written[1:3]:  # a bloom filter (bloom_filter_offset, field 14) on campaign_id
        assert BLOOM_FILTER_OFFSET in column_metadata_fields(parts(path.read_bytes())[1])[1]
    assert pq.read_metadata(written[1]).row_group(0).column(1).has_dictionary_page


def test_a_row_group_of_no_rows_is_left_out() -> None:
    """pyarrow writes an empty table as one row group of no rows whose chunks have a
    data page offset of 0 after a dictionary page at 4; no page of it is ever read, and
    such a file is refused as empty (the header checks), not as malformed."""
    sink = io.BytesIO()
    pq.write_table(exposures_table(COLLAB, rows=ROWS).slice(0, 0), sink)
    data = sink.getvalue()
    chunk = pq.read_metadata(io.BytesIO(data)).row_group(0).column(0)
    assert (chunk.data_page_offset, chunk.dictionary_page_offset) == (0, 4)
    layout_of(data)
