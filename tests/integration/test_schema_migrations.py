"""Schema versions: an older database is refused until migrated, a newer one refused."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import Result
from sqlalchemy import Engine, create_engine, text
from typer.testing import CliRunner

from cleanroom.cli.main import app as cleanroom_cli
from cleanroom.settings import Settings
from cleanroom.storage import (
    open_storage,
    query_tables,  # noqa: F401  # registers every table
)
from cleanroom.storage.db import normalize_url
from cleanroom.storage.models import Base
from cleanroom.storage.schema import head_revision, upgrade
from tests.integration.postgres import fresh_database
from tests.integration.server import ServerProcess
from tests.integration.test_server_exclusive import refusal
from tests.integration.world import api

RELEASE = Path(__file__).parent / "data" / "release-0.1.0"


def release_data_dir(target: Path) -> tuple[Path, str, str]:
    """A data dir as release 0.1.0 left it; returns it, the collaboration id, the admin token."""
    target.mkdir(parents=True)
    shutil.copytree(RELEASE / "keys", target / "keys")
    with sqlite3.connect(target / "cleanroom.db") as db:
        db.executescript((RELEASE / "cleanroom.sql").read_text())
    collaboration, token = (RELEASE / "ids.txt").read_text().split()
    return target, collaboration, token


def cleanroom(*args: str) -> Result:
    """Run the ``cleanroom`` CLI in this process (``serve`` runs in its own)."""
    return CliRunner().invoke(cleanroom_cli, list(args))


def migrate(data_dir: Path) -> Result:
    return cleanroom("admin", "migrate", "--data-dir", str(data_dir))


def test_a_release_database_is_refused_then_migrated_and_keeps_its_state(tmp_path: Path) -> None:
    data_dir, collaboration, token = release_data_dir(tmp_path / "data")
    line = refusal(data_dir)
    assert line == (
        f"error: the database schema is at revision 0001, this server needs {head_revision()}; "
        "back it up, then run `cleanroom admin migrate`"
    )
    done = migrate(data_dir)
    assert (done.exit_code, done.stdout) == (
        0,
        f"schema upgraded from revision 0001 to {head_revision()}\n",
    )
    assert migrate(data_dir).stdout == f"schema already at revision {head_revision()}\n"
    server = ServerProcess(data_dir, admin_token=token).start()
    try:
        with api(server.url, token) as admin:
            members = admin.get(f"/v1/collaborations/{collaboration}/members").json()
        assert sorted(m["party"] for m in members) == ["analyst", "audit", "brand", "retailer"]
        out = tmp_path / "audit.jsonl"
        exported = cleanroom(
            "audit", "export", "--collaboration", collaboration, "--out", str(out),
            "--server", server.url, "--token", token,
        )  # fmt: skip
        assert exported.exit_code == 0, exported.stderr
    finally:
        server.stop()
    public = data_dir / "keys" / "server-ed25519.pub.pem"
    verified = cleanroom("audit", "verify", str(out), "--public-key", str(public))
    assert verified.exit_code == 0, verified.stdout + verified.stderr


def test_a_newer_database_is_refused_by_serve_migrate_and_audit_export(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data")
    open_storage(Settings(data_dir=server.data_dir)).close()  # a data dir at the head
    with sqlite3.connect(server.data_dir / "cleanroom.db") as db:
        db.execute("UPDATE alembic_version SET version_num = '9999'")
    newer = (
        f"error: the database schema is at revision 9999, newer than this server knows "
        f"(up to {head_revision()}); run the cleanroom release that made it"
    )
    assert refusal(server.data_dir) == newer
    done = migrate(server.data_dir)
    assert (done.exit_code, done.stderr) == (1, newer + "\n")
    exported = cleanroom(
        "audit", "export", "--collaboration", "col_x", "--out", str(tmp_path / "x.jsonl"),
        "--data-dir", str(server.data_dir),
    )  # fmt: skip
    assert (exported.exit_code, exported.stderr) == (2, newer + "\n")


def test_migrate_refuses_while_a_server_runs(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data").start()
    try:
        done = migrate(server.data_dir)
        assert done.exit_code == 1
        assert done.stderr.startswith("error: another cleanroom server (pid ")
    finally:
        server.stop()


def assert_models_match_migrations(engine: Engine) -> None:
    upgrade(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_migrations_build_exactly_the_models_on_sqlite(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    try:
        assert_models_match_migrations(engine)
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_migrations_build_exactly_the_models_on_postgres() -> None:
    with fresh_database("cleanroom_mig") as url:
        engine = create_engine(normalize_url(url))
        try:
            assert_models_match_migrations(engine)
            with engine.connect() as connection:
                stamped = connection.execute(text("SELECT version_num FROM alembic_version"))
                assert stamped.scalar() == head_revision()
        finally:
            engine.dispose()
