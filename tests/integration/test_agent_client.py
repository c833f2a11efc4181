"""CleanRoomClient: swappable transport (in-process app), typed errors, resumable upload."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyarrow.parquet as pq
import pytest

from cleanroom.server.app import create_app
from cleanroom.server.auth import bootstrap_admin
from cleanroom.settings import Settings
from cleanroom.storage.bootstrap import open_storage
from party_agent.client import ASGIBridge, CleanRoomClient, ServerError, ServerUnreachable
from tests.integration.datasets import exposures_table, parquet_bytes, sha256
from tests.integration.server import ServerProcess, free_port
from tests.integration.uploading import start
from tests.integration.world import Collab, api, make_collaboration


class DropsAfter(httpx.BaseTransport):
    """A real loopback transport that loses the connection on the Nth chunk PUT."""

    def __init__(self, fail_on: int) -> None:
        self.inner = httpx.HTTPTransport()
        self.puts = 0
        self.fail_on = fail_on

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "PUT":
            self.puts += 1
            if self.puts == self.fail_on:
                raise httpx.WriteError("connection lost")
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def test_in_process_transport(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    storage = open_storage(settings)
    issued = bootstrap_admin(storage)
    assert issued is not None
    transport = ASGIBridge(create_app(settings, storage))
    with CleanRoomClient("http://cleanroom", issued[1], transport=transport) as client:
        assert client.me()["role"] == "admin"
        with pytest.raises(ServerError) as raised:
            client.datasets("col_missing")
    error = raised.value
    assert (error.status, error.slug) == (404, "unknown-collaboration")
    assert str(error) == "no such collaboration for this token (unknown-collaboration 404)"


def test_unreachable_server_is_a_typed_error() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with CleanRoomClient(url, "crt_x", timeout=2) as client, pytest.raises(ServerUnreachable):
        client.me()


def test_upload_resumes_after_a_dropped_connection(
    server: ServerProcess, collab_a: Collab, tmp_path: Path
) -> None:
    file = tmp_path / "e.parquet"
    pq.write_table(exposures_table(collab_a.id, rows=6000), file)
    size = file.stat().st_size
    token = collab_a.members["brand"].token
    flaky = DropsAfter(fail_on=3)
    sessions: list[str] = []
    with CleanRoomClient(server.url, token, transport=flaky) as client:
        with pytest.raises(ServerUnreachable):
            client.upload_file(
                collab_a.id,
                file,
                "client-resume",
                "exposures",
                on_session=lambda s: sessions.append(s["id"]),
            )
        status = client.upload_status(collab_a.id, sessions[0])
        assert status["received"] == 2 * 65536
        version = client.upload_file(
            collab_a.id, file, "client-resume", "exposures", resume_id=sessions[0]
        )
    assert version["size"] == size and version["rows"] == 6000
    chunks = -(-size // 65536)
    assert flaky.puts == chunks + 1  # the lost chunk is sent twice, nothing else


class LosesCompleteReply(httpx.BaseTransport):
    """Delivers ``complete`` to the real server, then loses the reply (as a killed agent)."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.completes = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        reply = self.inner.handle_request(request)
        if request.url.path.endswith("/complete"):
            self.completes += 1
            reply.read()
            raise httpx.ReadError("connection lost after the request was sent")
        return reply

    def close(self) -> None:
        self.inner.close()


def test_a_lost_complete_reply_is_answered_by_the_session_not_by_a_new_version(
    server: ServerProcess, collab_a: Collab, tmp_path: Path
) -> None:
    file = tmp_path / "e.parquet"
    pq.write_table(exposures_table(collab_a.id, rows=700), file)
    token = collab_a.members["brand"].token
    sessions: list[str] = []
    lossy = LosesCompleteReply()
    with CleanRoomClient(server.url, token, transport=lossy) as client:
        with pytest.raises(ServerUnreachable):
            client.upload_file(
                collab_a.id,
                file,
                "lost-reply",
                "exposures",
                on_session=lambda s: sessions.append(s["id"]),
            )
        version = client.upload_file(
            collab_a.id, file, "lost-reply", "exposures", resume_id=sessions[0]
        )
        dataset = client.request("GET", f"/v1/collaborations/{collab_a.id}/datasets/lost-reply")
    assert (version["dataset"], version["version"], version["rows"]) == ("lost-reply", 1, 700)
    assert lossy.completes == 1  # asked the session's state; never completed or sent again
    assert dataset["versions"] == [1]


def _trickle(data: bytes, started: threading.Event, hold: float) -> Iterator[bytes]:
    yield data[:10]
    started.set()
    time.sleep(hold)
    yield data[10:]


def test_the_agent_waits_out_a_saturated_server_only_where_repeating_is_safe(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One turn, taken by a chunk whose body trickles in: an unsafe POST gets the 503 at
    once; a GET waits out Retry-After (said on stderr) and gets its answer."""
    env = {"CLEANROOM_MAX_CONCURRENT_REQUESTS": "1", "CLEANROOM_BUSY_WAIT_SECONDS": "0.2"}
    server = ServerProcess(tmp_path / "data", env=env).start()
    try:
        with api(server.url, server.admin_token) as admin:
            collab = make_collaboration(admin, "busy", {"brand": "party_admin"})
        token = collab.members["brand"].token
        data = parquet_bytes(exposures_table(collab.id, rows=50))
        with api(server.url, token) as raw:
            session = start(raw, collab.id, data, "held", "exposures")
        started = threading.Event()

        def hold() -> None:
            with api(server.url, token) as raw:
                raw.put(
                    f"/v1/collaborations/{collab.id}/uploads/{session['id']}",
                    params={"offset": 0},
                    content=_trickle(data, started, 1.2),
                    headers={"X-Chunk-SHA256": sha256(data)},
                )

        holder = threading.Thread(target=hold)
        holder.start()
        assert started.wait(10)
        with CleanRoomClient(server.url, token) as client:
            with pytest.raises(ServerError) as refused:
                client.sign_roster(collab.id, 1, "c2lnbmF0dXJl")
            assert (refused.value.status, refused.value.slug) == (503, "server-busy")
            assert capsys.readouterr().err == ""
            me = client.me()
        holder.join()
        assert me["member_id"] == collab.members["brand"].member_id
        said = capsys.readouterr().err
        assert "server busy: GET /v1/me sent again in 1 s (attempt 2 of 4)" in said
    finally:
        server.stop()
