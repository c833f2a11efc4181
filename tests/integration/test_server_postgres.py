"""The same server on PostgreSQL (127.0.0.1:5432, trust auth); skipped when none answers."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.server import ServerProcess
from tests.integration.test_server_restart import exercise_restart

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
pytestmark = pytest.mark.postgres


@pytest.fixture
def database_url() -> Iterator[str]:
    psycopg = pytest.importorskip("psycopg", reason="psycopg not installed (pip install -e .[dev])")
    try:
        admin = psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        pytest.skip(f"no PostgreSQL server answers at 127.0.0.1:5432 ({type(error).__name__})")
    name = f"cleanroom_test_{secrets.token_hex(4)}"
    with admin:
        admin.execute(f"CREATE DATABASE {name}")
        try:
            yield f"postgresql://postgres@127.0.0.1:5432/{name}"
        finally:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_postgres_server_keeps_state_across_restart(tmp_path: Path, database_url: str) -> None:
    server = ServerProcess(tmp_path / "data", database_url=database_url).start()
    try:
        assert not (server.data_dir / "cleanroom.db").exists()
        exercise_restart(server)
    finally:
        server.stop()
