"""The query layer on a real ``cleanroom serve`` over loopback (SQLite and PostgreSQL).

50 parallel queries against a budget that fits 10 (the period budget, or a lifetime
cap below a larger period budget) must grant exactly 10 and charge exactly the cap;
results are readable only by their receivers and the collaboration's analysts, never
across collaborations; every read is audited.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.postgres import fresh_database
from tests.integration.query_world import QueryWorld, conversions, make_world
from tests.integration.server import ServerProcess
from tests.integration.world import api

PARALLEL = 50
WINDOWS = [f"{days}d" for days in range(1, 26)]


def connect_to(server: ServerProcess) -> Any:
    return lambda token: api(server.url, token)


def actions(server: ServerProcess, collaboration_id: str) -> list[str]:
    uri = f"file:{server.data_dir / 'cleanroom.db'}?mode=ro"
    with sqlite3.connect(uri, uri=True) as db:
        rows = db.execute(
            "SELECT action FROM audit_entries WHERE collaboration_id = ? ORDER BY seq",
            (collaboration_id,),
        )
        return [row[0] for row in rows]


def fire_in_parallel(w: QueryWorld) -> list[httpx.Response]:
    bodies = [
        conversions(window, attribution=attribution)
        for window in WINDOWS
        for attribution in ("last_touch", "first_touch")
    ]
    assert len(bodies) == PARALLEL

    def one(body: dict[str, Any]) -> httpx.Response:
        with w.client("brand") as client:
            return client.post(f"/v1/collaborations/{w.id}/queries", json=body)

    with ThreadPoolExecutor(PARALLEL) as pool:
        return list(pool.map(one, bodies))


PERIOD_CAP = (
    "this query needs epsilon 0.1, 0 is left until ",
    "(budget of 1 per calendar month set by the collaboration policy `test` v1)",
)
LIFETIME_CAP = (
    "this query needs epsilon 0.1, 0 is left of the lifetime cap of 1 set by the "
    "collaboration policy `test` v1; it never refreshes",
    "",
)


def check_never_overspends(w: QueryWorld, refusal: tuple[str, str] = PERIOD_CAP) -> None:
    replies = fire_in_parallel(w)
    codes = sorted(reply.status_code for reply in replies)
    assert codes == [201] * 10 + [409] * 40, [r.text for r in replies if r.status_code >= 500]
    assert len({reply.json()["id"] for reply in replies if reply.status_code == 201}) == 10
    with w.client("aud") as client:
        budget = client.get(f"/v1/collaborations/{w.id}/budget").json()
    assert (budget["spent"]["exact"], budget["lifetime"]["spent"]["exact"]) == ("1/1", "1/1")
    capped = budget if refusal is PERIOD_CAP else budget["lifetime"]
    assert capped["remaining"]["exact"] == "0/1"
    refused = [reply.json() for reply in replies if reply.status_code == 409]
    assert all(p["type"] == "urn:cleanroom:problem:budget-exhausted" for p in refused)
    assert all(
        p["detail"].startswith(refusal[0]) and p["detail"].endswith(refusal[1]) for p in refused
    ), {p["detail"] for p in refused}


def check_lifetime_never_overspent(server: ServerProcess) -> None:
    """A lifetime cap of 1 under a period budget of 5 stops 50 parallel queries at 10."""
    w = make_world(
        connect_to(server), server.admin_token, "lifetime", budget="5", lifetime="1",
        epsilons='["1/10"]',
    )  # fmt: skip
    check_never_overspends(w, LIFETIME_CAP)


def check_identical_queries_charge_once(w: QueryWorld) -> None:
    def one(_: int) -> httpx.Response:
        with w.client("brand") as client:
            return client.post(f"/v1/collaborations/{w.id}/queries", json=conversions("3d"))

    with ThreadPoolExecutor(10) as pool:
        replies = list(pool.map(one, range(10)))
    assert sorted(r.status_code for r in replies) == [200] * 9 + [201], [r.text for r in replies]
    assert len({r.json()["id"] for r in replies}) == 1
    # A running server always adds noise: exact mode lives only in a test process.
    released = replies[0].json()["result"]
    assert released["exact"] is False
    assert released["mechanisms"] and all(m["scale"] > 0 for m in released["mechanisms"])
    with w.client("aud") as client:
        budget = client.get(f"/v1/collaborations/{w.id}/budget").json()
    assert budget["spent"]["exact"] == "1/2"


def test_parallel_queries_never_overspend_on_sqlite(
    server: ServerProcess, admin: httpx.Client
) -> None:
    w = make_world(connect_to(server), server.admin_token, "parallel", epsilons='["1/10"]')
    check_never_overspends(w)
    logged = actions(server, w.id)
    assert logged.count("query.granted") == 10
    assert logged.count("query.denied") == 40
    same = make_world(connect_to(server), server.admin_token, "identical")
    check_identical_queries_charge_once(same)
    logged = actions(server, same.id)
    assert (logged.count("query.granted"), logged.count("query.repeat")) == (1, 1)  # then counted
    check_lifetime_never_overspent(server)


@pytest.fixture
def postgres_server(tmp_path: Path) -> Iterator[ServerProcess]:
    with fresh_database("cleanroom_q") as url:
        server = ServerProcess(tmp_path / "data", database_url=url).start()
        try:
            yield server
        finally:
            server.stop()


@pytest.mark.postgres
def test_parallel_queries_never_overspend_on_postgres(postgres_server: ServerProcess) -> None:
    server = postgres_server
    w = make_world(connect_to(server), server.admin_token, "parallel", epsilons='["1/10"]')
    check_never_overspends(w)
    check_identical_queries_charge_once(make_world(connect_to(server), server.admin_token))
    check_lifetime_never_overspent(server)


def test_results_go_to_receivers_and_analysts_only(
    server: ServerProcess, admin: httpx.Client
) -> None:
    w = make_world(connect_to(server), server.admin_token, "receivers", receivers="[brand]")
    other = make_world(connect_to(server), server.admin_token, "elsewhere")
    with w.client("brand") as client:
        reply = client.post(f"/v1/collaborations/{w.id}/queries", json=conversions())
    assert reply.status_code == 201, reply.text
    rid = reply.json()["id"]
    path = f"/v1/collaborations/{w.id}/results/{rid}"
    for who, expected in [("brand", 200), ("ana", 200), ("retailer", 403), ("aud", 403)]:
        with w.client(who) as client:
            assert client.get(path).status_code == expected, who
    with w.client("retailer") as client:
        denied = client.post(f"/v1/collaborations/{w.id}/queries", json=conversions())
    assert denied.status_code == 403
    assert [d["code"] for d in denied.json()["denials"]] == ["not_a_receiver"]
    with other.client("ana") as stranger:
        assert stranger.get(path).status_code == 404
        assert stranger.get(f"/v1/collaborations/{other.id}/results/{rid}").status_code == 404
    assert admin.get(path).status_code == 403
    assert actions(server, w.id).count("result.read") == 2
