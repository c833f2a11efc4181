"""Preparing a dataset for queries, once per version, at publish time (issue 17).

Work every query would otherwise repeat: each token's user number as a BIGINT column
``_user_<family>`` (the token's last 60 bits, the number the engine computes,
:meth:`cleanroom.engine.dialect.Dialect.user_id`), the rows sorted by user and time,
and on exposures two flags per family, ``_first_<family>`` on one row of each user and
``_first_<family>_campaign`` on one row of each user and campaign among the rows a query
keeps. Why results stay bit-identical: docs/architecture.md, "Work done once per dataset
version".
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from protocols import token_version
from protocols.tokens import V1_VERSION

__all__ = ["USER_PREFIX", "first_rows", "prepare_for_queries", "user_numbers"]

USER_PREFIX = "_user_"
"""The user column of ``token_<family>`` is ``_user_<family>`` (as
:data:`cleanroom.engine.bound.USER_PREFIX`; no uploaded column can start with ``_``)."""
_USER_MASK = (1 << 60) - 1
_TIMES = ("exposure_time", "purchase_time")


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


def first_rows(table: pa.Table, keys: list[str], valid: pa.Array) -> pa.Array:
    """True on one row (the first) of each group of ``keys`` among the ``valid`` rows."""
    index = pa.array(np.arange(table.num_rows, dtype=np.int64))
    rows = table.select(keys).append_column("_row", index).filter(valid)
    firsts = rows.group_by(keys, use_threads=False).aggregate([("_row", "min")])
    flags = np.zeros(table.num_rows, dtype=bool)
    flags[firsts.column("_row_min").to_numpy()] = True
    return pa.array(flags)


def _with_firsts(table: pa.Table, family: str) -> pa.Table:
    """Exposures' first-row flags of ``family``'s users: ``_first_<family>`` on one row of
    each user, ``_first_<family>_campaign`` on one row of each user and campaign among
    the rows a query keeps (token and time present), so counting flags counts users."""
    user = USER_PREFIX + family
    has_user = pc.is_valid(table.column(user))
    kept = pc.and_(has_user, pc.is_valid(table.column("exposure_time")))
    table = table.append_column(f"_first_{family}", first_rows(table, [user], has_user))
    campaign = first_rows(table, [user, "campaign_id"], kept)
    return table.append_column(f"_first_{family}_campaign", campaign)


def prepare_for_queries(path: Path) -> bool:
    """Add ``_user_<family>`` beside each v1 token column, sort the rows by the first
    one, then time, and (exposures) add the first-row flags; True if the file was
    rewritten. Datasets without tokens (spend) and v2 datasets (their tokens are
    replaced when blinding completes) are left as they are: the engine computes the user
    from the token where the column is absent. A file that has the columns already is
    left as it is, so calling this twice is harmless."""
    schema = pq.read_schema(path)
    tokens = [f.name for f in schema if f.name.startswith("token_")]
    if not tokens or any(token_version(schema.field(name)) != V1_VERSION for name in tokens):
        return False
    if any(name.startswith(USER_PREFIX) for name in schema.names):
        return False
    table = pq.read_table(path)
    families = [name.removeprefix("token_") for name in tokens]
    for name, family in zip(tokens, families, strict=True):
        numbers = [user_numbers(chunk) for chunk in table.column(name).chunks]
        table = table.append_column(USER_PREFIX + family, pa.chunked_array(numbers, pa.int64()))
    times = [t for t in _TIMES if t in table.schema.names]
    table = table.sort_by(
        [(USER_PREFIX + families[0], "ascending")] + [(t, "ascending") for t in times]
    )
    if "exposure_time" in times and "campaign_id" in table.schema.names:
        for family in families:
            table = _with_firsts(table, family)
    temp = path.with_name(path.name + ".prepared")
    pq.write_table(table, temp, compression="zstd")
    os.replace(temp, path)
    return True
