"""Throwaway PostgreSQL databases on 127.0.0.1:5432 (trust auth), one per test.

Every database gets a random name and is dropped afterwards, so suites running at the
same time on the same server never see each other's tables.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"


@contextmanager
def fresh_database(prefix: str = "cleanroom_t") -> Iterator[str]:
    """A new empty database's URL; skips the test when no PostgreSQL answers."""
    psycopg = pytest.importorskip("psycopg", reason="psycopg not installed (pip install -e .[dev])")
    try:
        admin = psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        pytest.skip(f"no PostgreSQL server answers at 127.0.0.1:5432 ({type(error).__name__})")
    name = f"{prefix}_{secrets.token_hex(4)}"
    with admin:
        admin.execute(f"CREATE DATABASE {name}")
        try:
            yield f"postgresql://postgres@127.0.0.1:5432/{name}"
        finally:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
