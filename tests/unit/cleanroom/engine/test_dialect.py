"""The hashes both engines compute, against Python's own: the user id is the token's last
60 bits, the digest the hex MD5 of the parts joined by ``|`` (NULL as empty)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cleanroom.engine import Engine, Sources, SparkEngine, SparkSettings
from cleanroom.engine.dialect import digest
from protocols import token_field

TOKENS = [hashlib.sha256(bytes([i])).digest() for i in range(5)] + [b"\xff" * 32, b"\0" * 32]


def _sources(tmp_path: Path) -> Sources:
    table = pa.table(
        {
            "token_email": pa.array(TOKENS, pa.binary(32)),
            "campaign_id": pa.array(["c1", "c'2", None, "c4", "", "x|y", "z"]),
            "exposure_time": pa.array([0, 1, -5, 2**40, 7, 8, 9], pa.int64()),
        }
    )
    table = table.cast(table.schema.set(0, token_field("email")))
    pq.write_table(table, tmp_path / "e.parquet")
    return Sources((tmp_path / "e.parquet",), ())


def expected() -> list[tuple[int, str]]:
    campaigns = ["c1", "c'2", None, "c4", "", "x|y", "z"]
    times = [0, 1, -5, 2**40, 7, 8, 9]
    return [
        (
            int(token.hex()[-15:], 16),
            hashlib.md5(f"{c or ''}|{t}".encode()).hexdigest(),  # noqa: S324 -- the documented digest
        )
        for token, c, t in zip(TOKENS, campaigns, times, strict=True)
    ]


def _query(engine: Engine | SparkEngine) -> list[tuple[int, str]]:
    user = engine.dialect.user_id('"token_email"')
    sql = f"""SELECT {user}, {digest("campaign_id", "exposure_time")} FROM exposures
              ORDER BY exposure_time"""  # noqa: S608 -- fixed text
    rows = engine.fetch(sql)
    order = sorted(range(len(TOKENS)), key=lambda i: [0, 1, -5, 2**40, 7, 8, 9][i])
    return [rows[order.index(i)] for i in range(len(TOKENS))]


def test_duckdb_computes_the_documented_hashes(tmp_path: Path) -> None:
    with Engine(_sources(tmp_path)) as engine:
        assert _query(engine) == expected()


def test_spark_computes_the_documented_hashes(
    spark_settings: SparkSettings, tmp_path: Path
) -> None:
    with SparkEngine(_sources(tmp_path), spark_settings) as engine:
        assert _query(engine) == expected()
        assert engine.columns("exposures") == {
            "token_email": "BLOB",
            "campaign_id": "VARCHAR",
            "exposure_time": "BIGINT",
        }


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_list_parameters_stay_data(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A declared key that looks like SQL is a value, on both engines."""
    sources = _sources(tmp_path)
    opened = (
        SparkEngine(sources, request.getfixturevalue("spark_settings"))
        if engine == "spark"
        else Engine(sources)
    )
    keys = ["c'2", "x') OR true --", "c1"]
    with opened:
        sql = f"""SELECT count(*) FROM exposures
                  WHERE array_contains({opened.dialect.strings("keys")}, campaign_id)"""  # noqa: S608 -- fixed text
        assert opened.fetch(sql, {"keys": keys, "unused": 1}) == [(2,)]
