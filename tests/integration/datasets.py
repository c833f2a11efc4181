"""Small tokenized Parquet files made with the real tokenizer, for upload tests."""

from __future__ import annotations

import hashlib
import io
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from cleanroom.storage.dataset_files import is_prepared, prepared_sibling
from protocols import IdType, MatchKey, Tokenizer
from protocols.binding import bind_schema

#: The match key the session collaborations register (``world.bind_match_key``).
SEED_KEY = MatchKey(bytes([1]) * 32)


def version_files(folder: Path) -> list[str]:
    """The version files in a dataset's folder, without the prepared siblings the server
    writes in the background (``v<N>.prepared.parquet``)."""
    return sorted(p.name for p in folder.iterdir() if not is_prepared(p))


def wait_prepared(path: Path, seconds: float = 60.0) -> Path:
    """The prepared sibling of the version file ``path``, once the server has written it."""
    sibling, deadline = prepared_sibling(path), time.monotonic() + seconds
    while not sibling.exists():
        assert time.monotonic() < deadline, f"{sibling.name} not written in {seconds} s"
        time.sleep(0.05)
    return sibling


def token_column(collaboration_id: str, count: int, key: MatchKey = SEED_KEY) -> pa.Array:
    tokenizer = Tokenizer(key, collaboration_id, parallel=False)
    emails = pa.array([f"user{i}@example.com" for i in range(count)])
    return tokenizer.tokenize_array(IdType.EMAIL, emails).tokens


def exposures_table(
    collaboration_id: str, rows: int = 50, key: MatchKey = SEED_KEY, **extra: Any
) -> pa.Table:
    """Exposures tokenized under ``key``, bound to the collaboration as the agent binds them."""
    from protocols import token_field

    columns = {
        "campaign_id": pa.array([f"cmp-{i % 3}" for i in range(rows)]),
        "exposure_time": pa.array([1_700_000_000 + i for i in range(rows)], pa.int64()),
    }
    fields = [token_field("email"), pa.field("campaign_id", pa.string())]
    fields.append(pa.field("exposure_time", pa.int64()))
    arrays = [token_column(collaboration_id, rows, key), columns["campaign_id"]]
    arrays.append(columns["exposure_time"])
    for name, array in extra.items():
        fields.append(pa.field(name, array.type))
        arrays.append(array)
    tokenizer = Tokenizer(key, collaboration_id, parallel=False)
    return pa.Table.from_arrays(arrays, schema=bind_schema(pa.schema(fields), tokenizer))


def parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
