"""The preparation of a published version for queries: the user column and the sort order."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cleanroom.engine.dialect import DUCKDB
from cleanroom.uploads.prepare import PreparationStopped, prepare_for_queries, user_numbers
from protocols import DOUBLY_BLINDED_VERSION, ONCE_BLINDED_VERSION, token_field, versioned_field


def _tokens(count: int) -> list[bytes | None]:
    """Uniform 32-byte tokens (SHA-256 outputs, top bits set on some), every 7th NULL."""
    return [None if i % 7 == 3 else hashlib.sha256(str(i).encode()).digest() for i in range(count)]


def _exposures(path: Path, tokens: list[bytes | None], field: pa.Field) -> Path:
    count = len(tokens)
    table = pa.table(
        {
            "token_email": pa.array(tokens, pa.binary(32)),
            "campaign_id": pa.array([f"c{i % 3}" for i in range(count)]),
            "exposure_time": pa.array(
                [None if i % 11 == 5 else (i * 7919) % 1000 for i in range(count)], pa.int64()
            ),
        }
    )
    pq.write_table(table.cast(table.schema.set(0, field)), path)
    return path


def test_user_numbers_are_the_number_the_engine_computes_from_the_token() -> None:
    tokens = pa.array(_tokens(300), pa.binary(32))
    ours = user_numbers(tokens.slice(5)).to_pylist()  # a slice: the offset is honoured
    table = pa.table({"t": tokens.slice(5)})
    con = duckdb.connect()
    con.register("tab", table)
    sql = f"SELECT {DUCKDB.user_id('t')} FROM tab"  # noqa: S608 -- fixed text
    engine = [row[0] for row in con.execute(sql).fetchall()]
    assert ours == engine
    assert None in ours and all(u is None or 0 <= u < 2**60 for u in ours)


def test_a_v1_file_gains_the_user_column_and_is_sorted_by_user_then_time(tmp_path: Path) -> None:
    path = _exposures(tmp_path / "e.parquet", _tokens(50) * 4, token_field("email"))
    before = pq.read_table(path)
    assert prepare_for_queries(path)
    after = pq.read_table(path)
    assert after.schema.field("token_email").equals(before.schema.field("token_email"), True)
    keys = [
        (u is None, u or 0, t is None, t or 0)
        for u, t in ((r["_user_email"], r["exposure_time"]) for r in after.to_pylist())
    ]
    assert keys == sorted(keys)
    added = ["_user_email", "_first_email", "_first_email_campaign"]
    assert after.schema.names == [*before.schema.names, *added]
    rows = after.drop_columns(added).to_pylist()
    assert sorted(rows, key=repr) == sorted(before.to_pylist(), key=repr)
    content = path.read_bytes()
    assert not prepare_for_queries(path)  # prepared already: left as it is
    assert path.read_bytes() == content


def test_the_flags_count_each_user_once_and_each_user_and_campaign_once_among_kept_rows(
    tmp_path: Path,
) -> None:
    tokens = [t if i % 5 else None for i, t in enumerate(_tokens(60) * 4)]  # repeat users
    path = _exposures(tmp_path / "e.parquet", tokens, token_field("email"))
    assert prepare_for_queries(path)
    rows = pq.read_table(path).to_pylist()
    users = {r["_user_email"] for r in rows if r["_user_email"] is not None}
    assert sum(r["_first_email"] for r in rows) == len(users)
    kept = [r for r in rows if r["_user_email"] is not None and r["exposure_time"] is not None]
    for campaign in ("c0", "c1", "c2"):
        flagged = [r for r in kept if r["campaign_id"] == campaign and r["_first_email_campaign"]]
        distinct = {r["_user_email"] for r in kept if r["campaign_id"] == campaign}
        assert {r["_user_email"] for r in flagged} == distinct and len(flagged) == len(distinct)
    assert not any(r["_first_email_campaign"] for r in rows if r["exposure_time"] is None)


def test_files_whose_tokens_are_not_final_or_that_have_none_are_left_as_they_are(
    tmp_path: Path,
) -> None:
    once = _exposures(
        tmp_path / "v2.parquet", _tokens(20), versioned_field("email", ONCE_BLINDED_VERSION)
    )
    spend = tmp_path / "s.parquet"
    pq.write_table(pa.table({"campaign_id": ["a"], "spend": [1.5]}), spend)
    for path in (once, spend):
        content = path.read_bytes()
        assert not prepare_for_queries(path)
        assert path.read_bytes() == content


def test_a_doubly_blinded_file_is_prepared_like_a_v1_file(tmp_path: Path) -> None:
    field = versioned_field("email", DOUBLY_BLINDED_VERSION)
    path = _exposures(tmp_path / "v1.blinded.parquet", _tokens(40) * 2, field)
    assert prepare_for_queries(path)
    assert "_user_email" in pq.read_schema(path).names


def test_preparing_into_a_target_leaves_the_source_and_no_work_folder(tmp_path: Path) -> None:
    path = _exposures(tmp_path / "v1.parquet", _tokens(30), token_field("email"))
    content, target, work = path.read_bytes(), tmp_path / "out.parquet", tmp_path / "w" / "x"
    assert prepare_for_queries(path, target, work=work)
    assert path.read_bytes() == content and target.exists() and not work.exists()
    assert pq.read_table(target).num_rows == 30


def test_a_stopped_preparation_writes_nothing(tmp_path: Path) -> None:
    path = _exposures(tmp_path / "v1.parquet", _tokens(30), token_field("email"))
    stop, target = threading.Event(), tmp_path / "out.parquet"
    stop.set()
    with pytest.raises(PreparationStopped):
        prepare_for_queries(path, target, stop=stop)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v1.parquet"]
