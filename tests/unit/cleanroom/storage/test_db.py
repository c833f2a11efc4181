"""Database URLs: plain PostgreSQL URLs are routed to psycopg 3."""

from __future__ import annotations

from cleanroom.storage.db import normalize_url


def test_postgres_urls_use_psycopg3() -> None:
    assert normalize_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("sqlite:///x.db") == "sqlite:///x.db"
