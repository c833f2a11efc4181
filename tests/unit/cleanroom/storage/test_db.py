"""Database URLs, and SQLite connections opened durable: WAL, synchronous=FULL, foreign keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from cleanroom.settings import Settings
from cleanroom.storage.db import make_engine, normalize_url


def test_postgres_urls_use_psycopg3() -> None:
    assert normalize_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("sqlite:///x.db") == "sqlite:///x.db"


@pytest.mark.parametrize(("setting", "pragma"), [("full", 2), ("normal", 1)])
def test_sqlite_synchronous_follows_the_setting(tmp_path: Path, setting: str, pragma: int) -> None:
    engine = make_engine(Settings(data_dir=tmp_path, sqlite_synchronous=setting))  # type: ignore[arg-type]
    try:
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA synchronous")).scalar() == pragma
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        engine.dispose()


def test_the_default_is_full(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).sqlite_synchronous == "full"
