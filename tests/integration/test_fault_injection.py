"""kill -9 of the server at random moments of uploads, releases and audit appends.

A few kills per backend (bounded: ``KILLS``), each at a random delay while three clients
upload in chunks, run fresh queries and export the audit log. After every restart:

- every published dataset version's file exists and has the recorded SHA-256, and no
  dataset file is left that no version names (nothing half-published);
- the budget spent equals the sum of the stored results' epsilons and stays within the
  policy's budget (no overspend, no charge without its result or the reverse);
- the audit export verifies with the server's key (no broken chain);
- every upload session is open (resumable from its recorded offset, which its temp file
  holds), complete, or ended with a reason.
"""

from __future__ import annotations

import contextlib
import random
import threading
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import httpx
import pyarrow.parquet as pq
import pytest
from cryptography.hazmat.primitives import serialization

from cleanroom.audit import verify_lines
from cleanroom.storage.dataset_files import prepared_sibling
from tests.integration.datasets import exposures_table, parquet_bytes
from tests.integration.postgres import fresh_database
from tests.integration.query_world import QueryWorld, conversions, make_world
from tests.integration.server import ServerProcess
from tests.integration.uploading import CHUNK, put, start
from tests.integration.world import api

KILLS = 3
BUDGET = Fraction(1)


def _uploads(world: QueryWorld, server: ServerProcess, stop: threading.Event) -> None:
    data = parquet_bytes(exposures_table(world.id, rows=4000))
    session_ids: list[str] = []
    with api(server.url, world.party("brand").token) as client:
        while not stop.is_set():
            name = f"faulty{len(session_ids) % 3}"
            session = start(client, world.id, data, name, "exposures")
            session_ids.append(session["id"])
            for offset in range(0, len(data), CHUNK):
                put(client, world.id, session["id"], offset, data[offset : offset + CHUNK])
            client.post(f"/v1/collaborations/{world.id}/uploads/{session['id']}/complete")


def _queries(world: QueryWorld, server: ServerProcess, stop: threading.Event) -> None:
    with api(server.url, world.party("ana").token) as client:
        days = 1
        while not stop.is_set():
            body = conversions(f"{days}d", receiver="brand")
            client.post(f"/v1/collaborations/{world.id}/queries", json=body)
            days = days % 30 + 1


def _exports(world: QueryWorld, server: ServerProcess, stop: threading.Event) -> None:
    with api(server.url, world.party("aud").token) as client:
        while not stop.is_set():
            client.get(f"/v1/collaborations/{world.id}/audit")


def _until_killed(work: Callable[[], None]) -> None:
    # the server dies under this client, as intended: a dropped connection, or a refusal
    with contextlib.suppress(httpx.HTTPError, AssertionError, KeyError, ValueError):
        work()


def check_invariants(server: ServerProcess, world: QueryWorld) -> None:
    versions = server.sql("SELECT path, rows FROM dataset_versions")
    named = {server.data_dir / str(path) for path, _ in versions}
    on_disk = {p for p in (server.data_dir / "datasets").rglob("*") if p.is_file()}
    siblings = {prepared_sibling(p) for p in named} & on_disk  # prepared in the background
    assert on_disk == named | siblings
    for path, rows in versions:  # complete files: the upload's and, where written, prepared
        for file in {server.data_dir / str(path), prepared_sibling(server.data_dir / str(path))}:
            if file in on_disk:
                assert pq.ParquetFile(file).metadata.num_rows == rows
    rows = server.sql("SELECT period_start, spent FROM budget_ledger")
    periods = sum((Fraction(str(s)) for start, s in rows if start != 0), Fraction(0))
    lifetime = sum((Fraction(str(s)) for start, s in rows if start == 0), Fraction(0))
    charged = server.sql(
        "SELECT epsilon FROM query_results WHERE collaboration_id = :c", c=world.id
    )
    total = sum((Fraction(str(e)) for (e,) in charged), Fraction(0))
    assert periods == lifetime == total <= BUDGET  # the lifetime row (start 0) sums them all
    with api(server.url, world.party("aud").token) as auditor:
        lines = auditor.get(f"/v1/collaborations/{world.id}/audit").text.splitlines()
        pem = auditor.get("/v1/server").json()["signing_public_key_pem"]
    report = verify_lines(lines, serialization.load_pem_public_key(pem.encode()))  # type: ignore[arg-type]
    assert report.ok, report.summary()
    for upload_id, status, received in server.sql(
        "SELECT id, status, received FROM upload_sessions"
    ):
        assert status in ("open", "complete", "failed", "expired", "aborted"), status
        if status == "open":
            part = server.data_dir / "tmp" / f"{upload_id}.part"
            assert part.stat().st_size == received


def kill_at_random_moments(server: ServerProcess, seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311  # when to kill, not a secret
    world = make_world(
        lambda token: api(server.url, token), server.admin_token, "faults", epsilons='["1/20"]'
    )
    for _ in range(KILLS):
        stop = threading.Event()
        workers = [
            threading.Thread(target=_until_killed, args=(lambda w=w, s=stop: w(world, server, s),))
            for w in (_uploads, _queries, _exports)
        ]
        for worker in workers:
            worker.start()
        stop.wait(rng.uniform(0.3, 1.5))
        server.kill()
        stop.set()
        for worker in workers:
            worker.join(timeout=30)
        server.start()
        check_invariants(server, world)


def test_kill_9_on_sqlite_leaves_consistent_state(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data").start()
    try:
        kill_at_random_moments(server, seed=14)
    finally:
        server.stop()


@pytest.mark.postgres
def test_kill_9_on_postgres_leaves_consistent_state(tmp_path: Path) -> None:
    with fresh_database("cleanroom_kill") as url:
        server = ServerProcess(tmp_path / "data", database_url=url).start()
        try:
            kill_at_random_moments(server, seed=41)
        finally:
            server.stop()
