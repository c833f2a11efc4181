"""Choosing the Spark engine: by setting, with a precise refusal where it cannot run."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from cleanroom.cli.main import app
from cleanroom.engine import (
    Attribution,
    ContributionBounds,
    ConversionCells,
    Engine,
    EngineSettings,
    GroupKeys,
    QueryEngine,
    Sources,
    SparkEngine,
    SparkSettings,
    conversion_cells,
    spark_unavailable,
)
from cleanroom.engine.bound import key_params
from cleanroom.engine.dialect import SPARK
from cleanroom.engine.templates.conversions import conversions_sql
from cleanroom.query import QueryContext, engine_unavailable
from cleanroom.settings import Settings
from cleanroom.storage.clock import system_clock
from protocols import token_field


def no_java(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setenv("JAVA_HOME", "/nonexistent")


def test_the_settings_pick_the_engine(tmp_path: Path) -> None:
    duck = QueryContext(Settings(data_dir=tmp_path), system_clock).engine_settings()
    assert isinstance(duck, EngineSettings)
    chosen = Settings(data_dir=tmp_path, engine="spark", spark_master="spark://head:7077")
    spark = QueryContext(chosen, system_clock).engine_settings()
    assert spark == SparkSettings("spark://head:7077")


def test_a_missing_java_or_pyspark_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    no_java(monkeypatch)
    assert spark_unavailable() == (
        "the Spark engine needs a Java runtime (17 or newer): on Debian or Ubuntu apt-get "
        "install openjdk-17-jre-headless, or set JAVA_HOME (or run `make spark`)"
    )
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert spark_unavailable() == (
        "the Spark engine needs pyspark: pip install 'cleanroom-match[spark]' (or run `make spark`)"
    )


def test_duckdb_needs_nothing_more(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    no_java(monkeypatch)
    assert engine_unavailable(Settings(data_dir=tmp_path)) is None
    assert engine_unavailable(Settings(data_dir=tmp_path, engine="spark")) is not None


def test_serve_refuses_to_start_without_java(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    no_java(monkeypatch)
    monkeypatch.setenv("CLEANROOM_ENGINE", "spark")
    done = CliRunner().invoke(app, ["serve", "--data-dir", str(tmp_path)])
    assert done.exit_code == 1
    assert (
        done.output.strip()
        .splitlines()[-1]
        .endswith(
            "CLEANROOM_ENGINE=spark: the Spark engine needs a Java runtime (17 or newer): on "
            "Debian or Ubuntu apt-get install openjdk-17-jre-headless, or set JAVA_HOME "
            "(or run `make spark`)"
        )
    )


def test_an_unknown_engine_is_a_settings_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="'duckdb' or 'spark'"):
        Settings(data_dir=tmp_path, engine="oracle")  # type: ignore[arg-type]


def test_a_local_master_gets_two_shuffle_partitions_per_core() -> None:
    from cleanroom.engine.spark import default_shuffle_partitions

    assert default_shuffle_partitions("local[2]") == 4
    assert default_shuffle_partitions("local[8,3]") == 16
    assert default_shuffle_partitions("local") == 2
    assert default_shuffle_partitions("local[*]") == max(2, 2 * (os.cpu_count() or 1))
    # a cluster keeps its own (adaptive execution coalesces the partitions there)
    assert default_shuffle_partitions("spark://head:7077") is None
    assert default_shuffle_partitions("yarn") is None


def test_a_configured_setting_wins_over_the_plan_defaults() -> None:
    from cleanroom.engine.spark import PLAN_CONF, root_session
    from tests.spark_session import require_spark

    settings = require_spark()  # turns adaptive execution off: tiny worlds
    assert PLAN_CONF["spark.sql.adaptive.enabled"] == "true"
    assert root_session(settings).conf.get("spark.sql.adaptive.enabled") == "false"
    assert root_session(settings).conf.get("spark.sql.adaptive.skewJoin.enabled") == "true"


def _conversions_world(directory: Path) -> Sources:
    """Six users, three campaigns; user 0 is in all three (over a bound of two)."""
    tokens = [hashlib.sha256(bytes([i])).digest() for i in range(6)]
    exposures = pa.table(
        {
            "token_email": pa.array([tokens[i] for i in (0, 0, 0, 1, 2, 3, 4)], pa.binary(32)),
            "campaign_id": pa.array(["a", "b", "c", "a", "b", "c", "a"]),
            "exposure_time": pa.array([0, 5, 9, 3, 4, 8, 2], pa.int64()),
        }
    )
    purchases = pa.table(
        {
            "token_email": pa.array([tokens[i] for i in (0, 0, 1, 3, 5)], pa.binary(32)),
            "purchase_time": pa.array([10, 12, 6, 9, 1], pa.int64()),
            "amount": pa.array([1.5, 2.25, 3.0, 4.0, 5.0]),
        }
    )
    for name, table in (("exposures", exposures), ("purchases", purchases)):
        table = table.cast(table.schema.set(0, token_field("email")))
        pq.write_table(table, directory / f"{name}.parquet")
    return Sources((directory / "exposures.parquet",), (directory / "purchases.parquet",))


def _conversions(engine: QueryEngine) -> ConversionCells:
    bounds = ContributionBounds(2, 5, 10_000)
    keys = GroupKeys(("a", "b", "c"))
    return conversion_cells(engine, "email", 7, Attribution.LAST_TOUCH, bounds, keys)


def test_a_cte_read_several_times_is_computed_once(
    spark_settings: SparkSettings, tmp_path: Path
) -> None:
    from cleanroom.engine.spark import _physical

    sources = _conversions_world(tmp_path)
    with Engine(sources) as duck:
        expected = _conversions(duck)
    sql = conversions_sql("token_email", None, Attribution.LAST_TOUCH, False, True, dialect=SPARK)
    params = {**key_params(GroupKeys(("a", "b", "c"))), "window": 7, "max_cells": 2}
    params |= {"max_purchases": 5, "cap_cents": 10_000}
    with SparkEngine(sources, spark_settings) as engine:
        assert _conversions(engine) == expected
        inlined = _physical(engine._frame(sql, params))  # the one statement, as Spark plans it
        *cached, final = engine.plans(sql, params)
        assert _leftover(engine) == (set(), True)
    assert _exposure_scans(inlined) >= 2  # kept_exp recomputed from the file
    assert [plan.split(":")[0] for plan in cached] == ["kept_exp"]
    assert _exposure_scans(cached[0]) == 1  # computed once, from one scan
    assert _exposure_scans(final) == 0
    assert _outside_cache(final).count("InMemoryTableScan") == 3  # then read three times


def _outside_cache(plan: str) -> str:
    """The lines of a physical plan outside the cached plans it shows under each
    ``InMemoryRelation`` (what the statement computes itself)."""
    kept, under = [], None
    for line in plan.splitlines():
        depth = len(line) - len(line.lstrip(" :+-"))
        if under is not None and depth > under:
            continue
        under = depth if "InMemoryRelation" in line else None
        kept.append(line)
    return "\n".join(kept)


def _exposure_scans(plan: str) -> int:
    """Scans of the exposures file (the one with ``campaign_id``) the plan computes."""
    lines = _outside_cache(plan).splitlines()
    return sum("FileScan parquet" in line and "campaign_id#" in line for line in lines)


def _leftover(engine: SparkEngine) -> tuple[set[str], bool]:
    """The temporary views besides the datasets, and whether Spark's cache is empty."""
    views = {r.viewName for r in engine._spark.sql("SHOW VIEWS").collect() if r.isTemporary}
    cache = engine._spark._jsparkSession.sharedState().cacheManager()
    return views - {"exposures", "purchases"}, bool(cache.isEmpty())


def test_a_query_does_not_see_the_cached_views_of_the_one_before(
    spark_settings: SparkSettings, tmp_path: Path
) -> None:
    from pyspark.errors import AnalysisException

    sources = _conversions_world(tmp_path)
    with SparkEngine(sources, spark_settings) as engine:
        first = _conversions(engine)
        with pytest.raises(AnalysisException, match="TABLE_OR_VIEW_NOT_FOUND"):
            engine.fetch("SELECT count(*) FROM kept_exp")
        assert _conversions(engine) == first
        assert _leftover(engine) == (set(), True)
