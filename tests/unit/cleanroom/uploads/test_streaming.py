"""Validation while the chunks arrive: row groups scanned as their bytes are stored,
the same verdict as a whole-file validation, and a footer that lies is caught."""

from __future__ import annotations

import io
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cleanroom.errors import DatasetRejected, MalformedParquet, PiiDetected, SchemaMismatch
from cleanroom.uploads.streaming import StreamingCheck, check_whole_file, footer_of, read_footer
from cleanroom.uploads.validation import Expected, validate_dataset
from protocols import DatasetKind
from protocols.binding import key_checks
from tests.integration.datasets import SEED_KEY, exposures_table

COLLAB = "col_streaming"
EXPECTED = Expected(COLLAB, key_checks(SEED_KEY, COLLAB))
GROUP_ROWS = 1_000


def parquet(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, row_group_size=GROUP_ROWS)
    return sink.getvalue()


def arriving(tmp_path: Path, data: bytes) -> tuple[Path, StreamingCheck]:
    """An empty temp file and the check of ``data`` made from its footer, as at create."""
    path = tmp_path / "upload.part"
    path.write_bytes(b"")
    return path, StreamingCheck(path, footer_of_bytes(data), len(data))


def footer_of_bytes(data: bytes) -> bytes:
    length = int.from_bytes(data[-8:-4], "little")
    return data[-(length + 8) :]


def store(path: Path, data: bytes, check: StreamingCheck, chunk: int) -> list[int]:
    """Append ``data`` chunk by chunk, advancing the check; row groups scanned after each."""
    scanned = []
    for offset in range(0, len(data), chunk):
        with path.open("ab") as handle:
            handle.write(data[offset : offset + chunk])
        check.advance(min(offset + chunk, len(data)))
        scanned.append(check.scanned)
    return scanned


def test_row_groups_are_scanned_as_their_bytes_arrive(tmp_path: Path) -> None:
    data = parquet(exposures_table(COLLAB, rows=4 * GROUP_ROWS))
    path, check = arriving(tmp_path, data)
    scanned = store(path, data, check, chunk=len(data) // 8 + 1)
    assert scanned[0] == 0 and scanned[-2] >= 3  # all but the last before the last chunk
    assert sorted(scanned) == scanned
    checked = check.finish(DatasetKind.EXPOSURES, EXPECTED)
    assert checked == validate_dataset(path, DatasetKind.EXPOSURES, EXPECTED)
    assert checked.rows == 4 * GROUP_ROWS


def test_pii_in_a_later_row_group_gets_the_whole_file_verdict(tmp_path: Path) -> None:
    rows = 3 * GROUP_ROWS
    ids = ["cmp-1"] * (rows - 1) + ["someone@example.com"]
    data = parquet(exposures_table(COLLAB, rows=rows).set_column(1, "campaign_id", pa.array(ids)))
    path, check = arriving(tmp_path, data)
    store(path, data, check, chunk=4096)
    with pytest.raises(PiiDetected) as streamed:
        check.finish(DatasetKind.EXPOSURES, EXPECTED)
    with pytest.raises(PiiDetected) as whole:
        validate_dataset(path, DatasetKind.EXPOSURES, EXPECTED)
    assert str(streamed.value) == str(whole.value)


def test_header_checks_run_at_finish_with_the_collaboration_as_it_is_then(
    tmp_path: Path,
) -> None:
    data = parquet(exposures_table(COLLAB, rows=GROUP_ROWS))
    path, check = arriving(tmp_path, data)
    store(path, data, check, chunk=len(data))
    with pytest.raises(SchemaMismatch, match="protocol v2"):
        check.finish(DatasetKind.EXPOSURES, Expected(COLLAB, None, protocol="v2"))


def test_a_footer_that_is_not_the_end_of_the_file_is_refused(tmp_path: Path) -> None:
    data = parquet(exposures_table(COLLAB, rows=2 * GROUP_ROWS))
    path = tmp_path / "upload.part"
    path.write_bytes(data)
    lying = footer_of_bytes(data).replace(b"cmp-0", b"cmp-9")  # statistics, same length
    assert lying != footer_of_bytes(data)
    check = StreamingCheck(path, lying, len(data))
    check.advance(len(data))
    with pytest.raises(MalformedParquet, match="not the end of the file"):
        check.finish(DatasetKind.EXPOSURES, EXPECTED)


def test_a_footer_pointing_past_the_data_is_malformed() -> None:
    data = parquet(exposures_table(COLLAB, rows=GROUP_ROWS))
    footer = footer_of_bytes(data)
    with pytest.raises(MalformedParquet, match="outside the file"):
        read_footer(footer, len(footer) + 100)
    with pytest.raises(MalformedParquet, match="not a readable Parquet file"):
        read_footer(b"junk" * 4, 1_000)


def test_a_file_sent_without_footer_is_checked_whole_at_finish(tmp_path: Path) -> None:
    data = parquet(exposures_table(COLLAB, rows=2 * GROUP_ROWS))
    path = tmp_path / "upload.part"
    path.write_bytes(data)
    assert footer_of(path) == footer_of_bytes(data)
    check = check_whole_file(path)
    assert check.scanned == 0
    assert check.finish(DatasetKind.EXPOSURES, EXPECTED).rows == 2 * GROUP_ROWS


def test_not_parquet_at_all_is_malformed(tmp_path: Path) -> None:
    path = tmp_path / "upload.part"
    path.write_bytes(b"name,email\nann,ann@example.com\n" * 10)
    with pytest.raises(DatasetRejected, match="not a readable Parquet file"):
        check_whole_file(path).finish(DatasetKind.EXPOSURES, EXPECTED)
