"""Races through the real server, on SQLite and PostgreSQL: each ends in success or a 409."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.integration.datasets import SEED_KEY, exposures_table, parquet_bytes
from tests.integration.postgres import fresh_database
from tests.integration.server import ServerProcess
from tests.integration.uploading import CHUNK, put, send_all, start
from tests.integration.world import Party, api, bind_match_key, make_collaboration


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def racing_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    data = tmp_path_factory.mktemp(f"race-{request.param}") / "data"
    if request.param == "sqlite":
        server = ServerProcess(data).start()
        yield server
        server.stop()
        return
    with fresh_database("cleanroom_race") as url:
        server = ServerProcess(data, database_url=url).start()
        yield server
        server.stop()


@pytest.fixture
def brand(racing_server: ServerProcess) -> tuple[str, Party]:
    with api(racing_server.url, racing_server.admin_token) as admin:
        collab = make_collaboration(admin, "race", {"brand": "party_admin"})
    party = collab.members["brand"]
    with api(racing_server.url, party.token) as client:
        bind_match_key(client, collab.id, party, SEED_KEY)  # token files must match its key
    return collab.id, party


def at_once(calls: list[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


def test_uploads_of_one_dataset_completing_at_once_become_successive_versions(
    racing_server: ServerProcess, brand: tuple[str, Party]
) -> None:
    collab_id, party = brand
    with api(racing_server.url, party.token) as client:
        ids = []
        for rows in (50, 51, 52, 53):
            data = parquet_bytes(exposures_table(collab_id, rows=rows))
            session = start(client, collab_id, data, "same-name", "exposures")
            send_all(client, collab_id, session["id"], data)
            ids.append(session["id"])
        base = f"/v1/collaborations/{collab_id}/uploads"
        replies = at_once([lambda u=u: client.post(f"{base}/{u}/complete") for u in ids])
    assert [r.status_code for r in replies] == [200] * 4, [r.text for r in replies]
    assert sorted(r.json()["version"] for r in replies) == [1, 2, 3, 4]


def test_one_upload_completed_twice_at_once_publishes_once(
    racing_server: ServerProcess, brand: tuple[str, Party]
) -> None:
    collab_id, party = brand
    data = parquet_bytes(exposures_table(collab_id, rows=80))
    with api(racing_server.url, party.token) as client:
        session = start(client, collab_id, data, "twice", "exposures")
        send_all(client, collab_id, session["id"], data)
        path = f"/v1/collaborations/{collab_id}/uploads/{session['id']}/complete"
        replies = at_once([lambda: client.post(path) for _ in range(4)])
        versions = client.get(f"/v1/collaborations/{collab_id}/datasets").json()
    statuses = sorted(r.status_code for r in replies)
    assert statuses == [200, 409, 409, 409], [r.text for r in replies]
    refused = [r.json()["type"] for r in replies if r.status_code == 409]
    assert set(refused) == {"urn:cleanroom:problem:upload-not-open"}
    assert [(d["name"], d["latest"]["version"]) for d in versions] == [("twice", 1)]


def test_identical_bytes_completing_at_once_publish_one_version(
    racing_server: ServerProcess, brand: tuple[str, Party]
) -> None:
    collab_id, party = brand
    data = parquet_bytes(exposures_table(collab_id, rows=90))
    with api(racing_server.url, party.token) as client:
        ids = []
        for _ in range(4):
            session = start(client, collab_id, data, "same-bytes", "exposures")
            send_all(client, collab_id, session["id"], data)
            ids.append(session["id"])
        base = f"/v1/collaborations/{collab_id}/uploads"
        replies = at_once([lambda u=u: client.post(f"{base}/{u}/complete") for u in ids])
        versions = client.get(f"/v1/collaborations/{collab_id}/datasets/same-bytes").json()
    assert [r.status_code for r in replies] == [200] * 4, [r.text for r in replies]
    assert sorted(r.json()["published"] for r in replies) == [False, False, False, True]
    assert {r.json()["version"] for r in replies} == {1}
    assert versions["versions"] == [1]


def test_the_same_chunk_sent_twice_at_once_is_stored_once(
    racing_server: ServerProcess, brand: tuple[str, Party]
) -> None:
    collab_id, party = brand
    data = parquet_bytes(exposures_table(collab_id, rows=3000))
    assert len(data) > CHUNK
    with api(racing_server.url, party.token) as client:
        session = start(client, collab_id, data, "chunks", "exposures")
        replies = at_once([lambda: put(client, collab_id, session["id"], 0, data[:CHUNK])] * 4)
        state = client.get(f"/v1/collaborations/{collab_id}/uploads/{session['id']}").json()
    assert {r.status_code for r in replies} <= {200, 409}, [r.text for r in replies]
    assert 200 in {r.status_code for r in replies}
    assert state["received"] == CHUNK


def test_abort_racing_complete_ends_in_one_of_them(
    racing_server: ServerProcess, brand: tuple[str, Party]
) -> None:
    collab_id, party = brand
    data = parquet_bytes(exposures_table(collab_id, rows=90))
    with api(racing_server.url, party.token) as client:
        session = start(client, collab_id, data, "abort-or-complete", "exposures")
        send_all(client, collab_id, session["id"], data)
        path = f"/v1/collaborations/{collab_id}/uploads/{session['id']}"
        done, aborted = at_once(
            [lambda: client.post(f"{path}/complete"), lambda: client.delete(path)]
        )
        state = client.get(path).json()["status"]
    assert (done.status_code, aborted.status_code) in ((200, 409), (409, 204)), (
        done.text,
        aborted.text,
    )
    assert state == ("complete" if done.status_code == 200 else "aborted")


def test_the_same_member_added_at_once_is_added_once(racing_server: ServerProcess) -> None:
    with api(racing_server.url, racing_server.admin_token) as admin:
        collab = make_collaboration(admin, "members", {})
        path = f"/v1/collaborations/{collab.id}/members"
        body = {"party": "late", "role": "analyst"}
        replies = at_once([lambda: admin.post(path, json=body)] * 4)
        members = admin.get(path).json()
    assert sorted(r.status_code for r in replies) == [201, 409, 409, 409], [r.text for r in replies]
    assert [m["party"] for m in members] == ["late"]
