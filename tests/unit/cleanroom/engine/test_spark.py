"""Choosing the Spark engine: by setting, with a precise refusal where it cannot run."""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cleanroom.cli.main import app
from cleanroom.engine import EngineSettings, SparkSettings, spark_unavailable
from cleanroom.query import QueryContext, engine_unavailable
from cleanroom.settings import Settings
from cleanroom.storage.clock import system_clock


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
