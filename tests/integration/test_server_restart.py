"""A restarted server keeps every state and leaves no orphan files behind."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.integration.datasets import SEED_KEY, exposures_table, parquet_bytes
from tests.integration.server import ServerProcess
from tests.integration.uploading import CHUNK, put, send_all, start, upload
from tests.integration.world import ROLES, api, bind_match_key, make_collaboration


def exercise_restart(server: ServerProcess) -> None:
    """Create state, crash mid-upload, restart, and check what survived."""
    with api(server.url, server.admin_token) as admin:
        collab = make_collaboration(admin, "restart", ROLES)
    brand = collab.members["brand"]
    with api(server.url, brand.token) as client:
        bind_match_key(client, collab.id, brand, SEED_KEY)
    data = parquet_bytes(exposures_table(collab.id, rows=3000))
    with api(server.url, brand.token) as client:
        assert upload(client, collab.id, data, "kept", "exposures").status_code == 200
        session = start(client, collab.id, data, "interrupted", "exposures")
        assert put(client, collab.id, session["id"], 0, data[:CHUNK]).status_code == 200
    orphan = server.data_dir / "datasets" / collab.id / "kept" / "v9.parquet"
    orphan.write_bytes(b"left by a crash between rename and commit")
    (server.data_dir / "tmp" / "upl_of_nobody.part").write_bytes(b"no session")
    with (server.data_dir / "tmp" / f"{session['id']}.part").open("ab") as part:
        part.write(b"a chunk cut off by the crash, never recorded")
    server.kill()
    assert any((server.data_dir / "tmp").iterdir())

    server.start()
    assert "bootstrap admin token" not in server.log()  # an admin exists already
    with api(server.url, brand.token) as client:
        assert client.get("/v1/me").json()["collaboration_id"] == collab.id
        datasets = client.get(f"/v1/collaborations/{collab.id}/datasets").json()
        assert [(d["name"], d["latest"]["rows"]) for d in datasets] == [("kept", 3000)]
        state = client.get(f"/v1/collaborations/{collab.id}/uploads/{session['id']}").json()
        assert (state["status"], state["received"]) == ("open", CHUNK)  # resumes, not restarts
        part = server.data_dir / "tmp" / f"{session['id']}.part"
        assert list((server.data_dir / "tmp").iterdir()) == [part]
        assert part.stat().st_size == CHUNK
        send_all(client, collab.id, session["id"], data, offset=CHUNK)
        done = client.post(f"/v1/collaborations/{collab.id}/uploads/{session['id']}/complete")
        assert (done.status_code, done.json()["version"]) == (200, 1), done.text
    with api(server.url, server.admin_token) as admin:
        assert admin.get(f"/v1/collaborations/{collab.id}/members").status_code == 200
    assert not any((server.data_dir / "tmp").iterdir())
    assert not orphan.exists()


def test_restart_keeps_state_and_cleans_up(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data").start()
    try:
        exercise_restart(server)
    finally:
        server.stop()


def test_sqlite_runs_in_wal_mode(server: ServerProcess) -> None:
    with sqlite3.connect(server.data_dir / "cleanroom.db") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
