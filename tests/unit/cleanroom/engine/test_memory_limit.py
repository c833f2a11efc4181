"""DuckDB's memory limit: a share of the machine's memory by default, or a size."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from pydantic import ValidationError

from cleanroom.engine import EngineSettings
from cleanroom.engine.duck import machine_memory, resolve_memory_limit
from cleanroom.settings import Settings


def test_the_default_is_half_the_machine_memory_and_duckdb_takes_it() -> None:
    assert EngineSettings().memory_limit == "50%"
    limit = resolve_memory_limit("50%")
    assert limit == f"{(machine_memory() // 2) >> 20}MiB"
    con = duckdb.connect(config={"memory_limit": limit})
    shown = con.execute("SELECT current_setting('memory_limit')").fetchone()
    assert shown is not None and "GiB" in str(shown[0])  # more than 1 GiB on any server


def test_a_size_is_passed_on_and_a_bad_share_is_refused() -> None:
    assert resolve_memory_limit("8GB") == "8GB"
    for share in ("0%", "150%"):
        with pytest.raises(ValueError, match="a memory share must be above 0% and at most 100%"):
            EngineSettings(memory_limit=share)


def test_the_server_setting_reads_a_share_or_a_size(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).duckdb_memory_limit == "50%"
    assert Settings(data_dir=tmp_path, duckdb_memory_limit="2GiB").duckdb_memory_limit == "2GiB"
    with pytest.raises(ValidationError):
        Settings(data_dir=tmp_path, duckdb_memory_limit="lots")
