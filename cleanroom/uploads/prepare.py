"""Preparing a dataset for queries, once per version, after it is published (issue 17).

Work every query would otherwise repeat: each token's user number as a BIGINT column
``_user_<family>`` (the token's last 60 bits, the number the engine computes,
:meth:`cleanroom.engine.dialect.Dialect.user_id`), the rows sorted by user and time,
and on exposures two flags per family, ``_first_<family>`` on one row of each user and
``_first_<family>_campaign`` on one row of each user and campaign among the rows a query
keeps. Why results stay bit-identical: docs/architecture.md, "Work done once per dataset
version". The server runs it in the background
(:class:`cleanroom.uploads.preparer.Preparer`) and writes the result beside the uploaded
file (:func:`cleanroom.storage.dataset_files.prepared_sibling`).
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from cleanroom.storage.dataset_files import fsync_path
from protocols import DOUBLY_BLINDED_VERSION, token_version
from protocols.tokens import V1_VERSION

__all__ = ["USER_PREFIX", "PreparationStopped", "prepare_for_queries", "user_numbers"]

USER_PREFIX = "_user_"
"""The user column of ``token_<family>`` is ``_user_<family>`` (as
:data:`cleanroom.engine.bound.USER_PREFIX`; no uploaded column can start with ``_``)."""
_USER_MASK = (1 << 60) - 1
_JOINABLE = frozenset({V1_VERSION, DOUBLY_BLINDED_VERSION})
"""Token columns a join reads as they are: v1 tokens and doubly blinded v2 points."""
_TIMES = ("exposure_time", "purchase_time")
BATCH_ROWS = 131_072
MEMORY_LIMIT = "512MB"
"""DuckDB's memory for one preparation; beyond it the sort spills to the work folder."""


class PreparationStopped(Exception):
    """The server is shutting down: the preparation was abandoned, nothing was written."""


def user_numbers(tokens: pa.FixedSizeBinaryArray) -> pa.Array:
    """Each 32-byte token's last 8 bytes as a big-endian integer, top 4 bits cleared (its
    last 60 bits), NULL for a NULL token: the engine's user number."""
    if len(tokens) == 0:
        return pa.array([], pa.int64())
    raw = np.frombuffer(tokens.buffers()[1], dtype=np.uint8)
    raw = raw[tokens.offset * 32 : (tokens.offset + len(tokens)) * 32].reshape(-1, 32)
    tail = np.ascontiguousarray(raw[:, 24:]).view(">u8").ravel()
    numbers = (tail & np.uint64(_USER_MASK)).astype(np.int64)
    return pa.array(numbers, pa.int64(), mask=tokens.is_null().to_numpy(zero_copy_only=False))


def _ident(name: str) -> str:
    """``name`` as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _first_flags_sql(families: list[str]) -> str:
    """Per family, ``_first_<family>`` true on one row (the first uploaded) of each user
    and ``_first_<family>_campaign`` on one row of each user and campaign among the rows
    a query keeps (token and time present): aggregates joined back by row number, which
    DuckDB computes out of core. Which row of a group carries the flag does not matter:
    a query keeps or drops all rows of one user and campaign together."""
    picks, joins = [], []
    for n, family in enumerate(families):
        user = _ident(USER_PREFIX + family)
        kept = f"{user} IS NOT NULL AND exposure_time IS NOT NULL"
        joins.append(
            f"LEFT JOIN (SELECT min(_row) AS r FROM src WHERE {user} IS NOT NULL "  # noqa: S608
            f"GROUP BY {user}) fu{n} ON s._row = fu{n}.r "
            f"LEFT JOIN (SELECT min(_row) AS r FROM src WHERE {kept} "
            f"GROUP BY {user}, campaign_id) fc{n} ON s._row = fc{n}.r"
        )
        picks.append(
            f"fu{n}.r IS NOT NULL AS {_ident(f'_first_{family}')}, "
            f"fc{n}.r IS NOT NULL AS {_ident(f'_first_{family}_campaign')}"
        )
    return ", " + ", ".join(picks) + " FROM src s " + " ".join(joins)


def _stop_if(stop: threading.Event | None) -> None:
    if stop is not None and stop.is_set():
        raise PreparationStopped("the preparation was stopped before it finished")


def _with_users(
    path: Path, families: list[str], schema: pa.Schema, stop: threading.Event | None
) -> Iterator[pa.RecordBatch]:
    """The file's batches with each family's user number and the row's position."""
    offset = 0
    for batch in pq.ParquetFile(path, buffer_size=1 << 20).iter_batches(BATCH_ROWS):
        _stop_if(stop)
        columns = [*batch.columns]
        for family in families:
            columns.append(user_numbers(batch.column(f"token_{family}")))
        columns.append(pa.array(np.arange(offset, offset + batch.num_rows, dtype=np.int64)))
        offset += batch.num_rows
        yield pa.RecordBatch.from_arrays(columns, schema=schema)


def prepare_for_queries(
    path: Path,
    target: Path | None = None,
    *,
    work: Path | None = None,
    memory_limit: str = MEMORY_LIMIT,
    max_spill_bytes: int | None = None,
    stop: threading.Event | None = None,
) -> bool:
    """Write ``path``'s rows to ``target`` (default: ``path`` itself) with
    ``_user_<family>`` beside each v1 token column, sorted by the first one, then time,
    and (exposures) with the first-row flags; True if ``target`` was written. Datasets
    without tokens (spend) and once-blinded v2 datasets (their tokens are replaced when
    blinding completes; the doubly blinded file is prepared then) are left as they are:
    the engine computes the user from the token where the column is absent. A file that
    has the columns already is left as it is, so calling this twice is harmless.

    The rewrite streams: the file's batches (with the user numbers) go into an on-disk
    DuckDB table in the folder ``work`` (default: beside ``target``; a leftover is
    replaced), which sorts and flags them out of core under
    ``memory_limit`` and streams them back to Parquet, so memory stays flat with the
    file's size; with ``max_spill_bytes`` the spill stops there (the preparation fails:
    a file that compresses well is small on disk and large in the sort). ``target``
    appears by one atomic rename of a complete, fsynced file;
    the work folder is removed whatever happens. With ``stop`` set, the work is
    abandoned at the next batch (:class:`PreparationStopped`)."""
    schema = pq.read_schema(path)
    tokens = [f.name for f in schema if f.name.startswith("token_")]
    if not tokens or any(token_version(schema.field(name)) not in _JOINABLE for name in tokens):
        return False
    if any(name.startswith(USER_PREFIX) for name in schema.names):
        return False
    families = [name.removeprefix("token_") for name in tokens]
    users = [pa.field(USER_PREFIX + family, pa.int64()) for family in families]
    staged = pa.schema([*schema, *users, pa.field("_row", pa.int64())])
    prepared = pa.schema([*schema, *users], metadata=schema.metadata)
    times = [t for t in _TIMES if t in schema.names]
    flags = "exposure_time" in times and "campaign_id" in schema.names
    if flags:
        for family in families:
            for name in (f"_first_{family}", f"_first_{family}_campaign"):
                prepared = prepared.append(pa.field(name, pa.bool_()))
    order = ", ".join(
        [f"{_ident(USER_PREFIX + families[0])} NULLS LAST"]
        + [f"{t} NULLS LAST" for t in times]
        + ["_row"]
    )
    body = _first_flags_sql(families) if flags else " FROM src s"
    query = f"SELECT s.* EXCLUDE (_row){body} ORDER BY {order}"
    target = target or path
    work = work or target.with_name(target.name + ".prepare")
    temp = work / "prepared.parquet"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        config: dict[str, str | bool | int | float | list[str]] = {
            "memory_limit": memory_limit,
            "temp_directory": str(work / "spill"),
        }
        if max_spill_bytes is not None:
            config["max_temp_directory_size"] = f"{max(max_spill_bytes, 1)}B"
        with duckdb.connect(str(work / "prepare.duckdb"), config=config) as con:
            con.execute("SET enable_progress_bar = false")
            batches = _with_users(path, families, staged, stop)
            reader = pa.RecordBatchReader.from_batches(staged, batches)
            con.register("incoming", reader)
            con.execute("CREATE TABLE src AS SELECT * FROM incoming")
            con.unregister("incoming")
            with pq.ParquetWriter(temp, prepared, compression="zstd") as writer:
                for batch in con.sql(query).to_arrow_reader(BATCH_ROWS):
                    _stop_if(stop)
                    writer.write_batch(batch.cast(prepared))
    except (duckdb.Error, pa.ArrowException):
        _stop_if(stop)  # the stop reached DuckDB as an error of the batches' reader
        raise
    else:
        fsync_path(temp)
        os.replace(temp, target)
        fsync_path(target.parent)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return True
