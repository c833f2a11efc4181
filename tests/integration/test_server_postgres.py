"""The same server on PostgreSQL (127.0.0.1:5432, trust auth); skipped when none answers."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pyarrow as pa
import pytest

from tests.integration import test_server_keys_policy as keys_policy
from tests.integration.datasets import SEED_KEY, exposures_table, parquet_bytes
from tests.integration.server import ServerProcess
from tests.integration.test_server_restart import exercise_restart
from tests.integration.uploading import upload
from tests.integration.world import api, bind_match_key, make_collaboration

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def new_database() -> Iterator[Callable[[], str]]:
    """A factory of empty PostgreSQL databases, all dropped after the module."""
    psycopg = pytest.importorskip("psycopg", reason="psycopg not installed (pip install -e .[dev])")
    try:
        admin = psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        pytest.skip(f"no PostgreSQL server answers at 127.0.0.1:5432 ({type(error).__name__})")
    names: list[str] = []

    def create() -> str:
        names.append(f"cleanroom_test_{secrets.token_hex(4)}")
        admin.execute(f"CREATE DATABASE {names[-1]}")
        return f"postgresql://postgres@127.0.0.1:5432/{names[-1]}"

    with admin:
        try:
            yield create
        finally:
            for name in names:
                admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_postgres_server_keeps_state_across_restart(
    tmp_path: Path, new_database: Callable[[], str]
) -> None:
    server = ServerProcess(tmp_path / "data", database_url=new_database()).start()
    try:
        assert not (server.data_dir / "cleanroom.db").exists()
        exercise_restart(server)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def pg_server(
    new_database: Callable[[], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    data = tmp_path_factory.mktemp("pg") / "data"
    server = ServerProcess(data, database_url=new_database())
    yield server.start()
    server.stop()


@pytest.fixture(scope="module")
def pg_admin(pg_server: ServerProcess) -> Iterator[httpx.Client]:
    with api(pg_server.url, pg_server.admin_token) as client:
        yield client


def test_postgres_keys_and_policy_approval(
    pg_server: ServerProcess, pg_admin: httpx.Client
) -> None:
    keys_policy.test_match_key_is_relayed_as_ciphertext_only(pg_server, pg_admin)
    keys_policy.test_policy_takes_effect_only_when_every_party_signed(pg_server, pg_admin)


def test_postgres_upload_rejection_and_isolation(
    pg_server: ServerProcess, pg_admin: httpx.Client
) -> None:
    collab = make_collaboration(pg_admin, "pg", {"brand": "party_admin"})
    other = make_collaboration(pg_admin, "pg-other", {"x": "party_admin"})
    with api(pg_server.url, collab.members["brand"].token) as brand:
        bind_match_key(brand, collab.id, collab.members["brand"], SEED_KEY)
        leaky = exposures_table(collab.id, rows=5).append_column(
            "channel", pa.array([f"u{i}@example.com" for i in range(5)])
        )
        reply = upload(brand, collab.id, parquet_bytes(leaky), "leaky", "exposures")
        assert reply.json()["type"] == "urn:cleanroom:problem:pii-detected"
        assert brand.get(f"/v1/collaborations/{other.id}/datasets").status_code == 404
    rows = pg_server.sql(
        "SELECT action FROM audit_entries WHERE collaboration_id = :c", c=collab.id
    )
    assert ("dataset.reject",) in rows


def test_concurrent_audit_appends_never_fork_the_chain_on_postgres(
    tmp_path: Path, new_database: Callable[[], str]
) -> None:
    import threading

    from cleanroom import audit
    from cleanroom.audit import verify_lines
    from cleanroom.audit.export import export_lines
    from cleanroom.settings import Settings
    from cleanroom.storage.bootstrap import open_storage

    storage = open_storage(Settings(data_dir=tmp_path / "pg", database_url=new_database()))
    try:

        def append() -> None:
            for i in range(20):
                with storage.sessionmaker() as session:
                    audit.record(
                        session, actor=f"t{i}", action="test.append", collaboration_id="c1"
                    )
                    session.commit()

        threads = [threading.Thread(target=append) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with storage.sessionmaker() as session:
            lines = list(export_lines(session, "c1", storage.signing_key))
        report = verify_lines(lines, storage.signing_key.public_key())
        assert report.ok and report.entries == 120, report.summary()
    finally:
        storage.engine.dispose()
