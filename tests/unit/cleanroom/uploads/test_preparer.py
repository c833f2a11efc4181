"""The background preparation of published versions: siblings appear whole or not at all."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cleanroom.storage.dataset_files import prepared_sibling, query_file
from cleanroom.uploads.prepare import prepare_for_queries
from cleanroom.uploads.preparer import PREPARATION_SPACE_FACTOR, Preparer, preparation_space
from protocols import token_field


def _version(folder: Path, name: str = "v1.parquet", rows: int = 40) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    tokens = [hashlib.sha256(str(i % 13).encode()).digest() for i in range(rows)]
    table = pa.table(
        {
            "token_email": pa.array(tokens, pa.binary(32)),
            "campaign_id": [f"c{i % 2}" for i in range(rows)],
            "exposure_time": pa.array([(i * 37) % 100 for i in range(rows)], pa.int64()),
        }
    )
    path = folder / name
    pq.write_table(table.cast(table.schema.set(0, token_field("email"))), path)
    return path


def test_a_scheduled_version_gets_a_sibling_with_the_same_rows_and_queries_read_it(
    tmp_path: Path,
) -> None:
    path = _version(tmp_path / "datasets" / "col" / "exp")
    content = path.read_bytes()
    assert query_file(path) == path
    preparer = Preparer(tmp_path)
    try:
        preparer.schedule([path])
        assert preparer.wait_idle(60)
    finally:
        preparer.close()
    sibling = prepared_sibling(path)
    assert sibling.name == "v1.prepared.parquet" and query_file(path) == sibling
    assert path.read_bytes() == content  # the uploaded bytes stay as they were
    uploaded, prepared = pq.read_table(path), pq.read_table(sibling)
    kept = prepared.select(uploaded.schema.names).to_pylist()
    assert sorted(kept, key=repr) == sorted(uploaded.to_pylist(), key=repr)
    assert "_user_email" in prepared.schema.names
    assert not any((tmp_path / "prepare").iterdir())


def test_files_that_need_nothing_or_are_gone_are_skipped(tmp_path: Path) -> None:
    folder = tmp_path / "datasets" / "col" / "spend"
    folder.mkdir(parents=True)
    spend = folder / "v1.parquet"
    pq.write_table(pa.table({"campaign_id": ["a"], "spend": [1.5]}), spend)
    preparer = Preparer(tmp_path)
    try:
        preparer.schedule([spend, folder / "v9.parquet"])
        assert preparer.wait_idle(60)
    finally:
        preparer.close()
    assert sorted(p.name for p in folder.iterdir()) == ["v1.parquet"]


def test_a_leftover_work_folder_is_cleared_when_a_preparer_starts(tmp_path: Path) -> None:
    leftover = tmp_path / "prepare" / "current"
    leftover.mkdir(parents=True)
    (leftover / "prepared.parquet").write_bytes(b"half a file")
    Preparer(tmp_path).close()
    assert not (tmp_path / "prepare").exists()


def test_a_failed_preparation_is_logged_without_content_and_leaves_no_sibling(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = _version(tmp_path / "datasets" / "col" / "exp")
    data = path.read_bytes()
    path.write_bytes(data[:4] + b"\x00" * 64 + data[68:])  # damaged pages, footer intact
    [message] = _unprepared_warnings(Preparer(tmp_path), path, caplog, "preparing")
    assert message.startswith("preparing datasets/col/exp/v1.parquet for queries")


def _unprepared_warnings(
    preparer: Preparer, path: Path, caplog: pytest.LogCaptureFixture, word: str
) -> list[str]:
    """Prepare ``path`` and expect no sibling: the warnings logged that hold ``word``."""
    with caplog.at_level(logging.WARNING, logger="cleanroom"):
        try:
            preparer.schedule([path])
            assert preparer.wait_idle(60)
        finally:
            preparer.close()
    assert not prepared_sibling(path).exists() and query_file(path) == path
    return [r.getMessage() for r in caplog.records if word in r.getMessage()]


def test_a_preparation_that_would_eat_the_disk_reserve_is_skipped_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = _version(tmp_path / "datasets" / "col" / "exp")
    preparer = Preparer(tmp_path, reserve_bytes=1 << 60)  # no room left beyond the reserve
    [message] = _unprepared_warnings(preparer, path, caplog, "not preparing")
    assert f"needs up to {preparation_space(path)} bytes" in message


def test_scheduled_preparations_reserve_disk_until_they_are_done(tmp_path: Path) -> None:
    first = _version(tmp_path / "datasets" / "col" / "a")
    second = _version(tmp_path / "datasets" / "col" / "b", rows=400)
    space = preparation_space(first) + preparation_space(second)
    preparer = Preparer(tmp_path)
    try:
        preparer.schedule([first, second])
        assert preparer.wait_idle(60)
        assert preparer.reserved_bytes() == 0  # both done: nothing held
    finally:
        preparer.close()
    preparer.schedule([first, second])  # a closed preparer holds what it was given
    assert preparer.reserved_bytes() == space
    assert prepared_sibling(first).exists() and prepared_sibling(second).exists()


def _repeated_row(folder: Path, rows: int) -> Path:
    """One exposure repeated ``rows`` times: a few kB of Parquet for a million rows."""
    folder.mkdir(parents=True, exist_ok=True)
    tokens = pa.Array.from_buffers(pa.binary(32), rows, [None, pa.py_buffer(b"\x01" * 32 * rows)])
    schema = pa.schema(
        [token_field("email"), ("campaign_id", pa.string()), ("exposure_time", pa.int64())]
    )
    campaigns = pa.DictionaryArray.from_arrays(pa.array(np.zeros(rows, np.int32)), pa.array(["c1"]))
    times = pa.array(np.zeros(rows, np.int64))
    path = folder / "v1.parquet"
    pq.write_table(
        pa.Table.from_arrays([tokens, campaigns.cast(pa.string()), times], schema=schema), path
    )
    return path


def test_a_file_that_compresses_well_reserves_the_disk_its_rows_take_in_the_sort(
    tmp_path: Path,
) -> None:
    """Attack: a party uploads one row repeated a million times, 14 kB of Parquet. The
    reservation was 4x the file's size while the work folder (DuckDB's table of the
    rows, its spill) grew with the rows: 1.9 MB for 2 million rows, 640 MB for 20
    million in a 270 kB file, so a small upload could fill the disk the database writes
    to. The reservation now counts the rows at their width in the sort."""
    path = _repeated_row(tmp_path / "datasets" / "col" / "exp", 1_000_000)
    closed = Preparer(tmp_path / "elsewhere")
    closed.close()
    closed.schedule([path])  # a closed preparer holds what it was given
    space = closed.reserved_bytes()
    assert space >= 1_000_000 * (32 + 16 + 8)
    peak, done = [0], threading.Event()

    def watch() -> None:
        while not done.is_set():
            files = [p for p in (tmp_path / "prepare").rglob("*") if p.is_file()]
            peak[0] = max(peak[0], sum(p.stat().st_size for p in files if p.exists()))
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    preparer = Preparer(tmp_path)
    watcher.start()
    try:
        preparer.schedule([path])
        assert preparer.wait_idle(120)
    finally:
        done.set()
        watcher.join()
        preparer.close()
    assert prepared_sibling(path).exists()
    assert PREPARATION_SPACE_FACTOR * path.stat().st_size < peak[0] <= space


def test_a_preparation_spills_no_more_than_it_was_given_and_then_writes_nothing(
    tmp_path: Path,
) -> None:
    """At 64 MB of memory this file's sort spills (and completes when it may); capped at
    one byte of spill it fails instead, leaving neither the sibling nor the work folder."""
    path = _repeated_row(tmp_path, 1_000_000)
    target, work = tmp_path / "v1.prepared.parquet", tmp_path / "work"
    with pytest.raises(duckdb.Error):
        prepare_for_queries(path, target, work=work, memory_limit="64MB", max_spill_bytes=1)
    assert not target.exists() and not work.exists()
