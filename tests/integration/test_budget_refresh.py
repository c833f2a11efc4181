"""Waiting for refreshes does not buy unlimited epsilon: the lifetime cap stops it.

An analyst spends the whole monthly budget, waits for the next month, and does it again,
for a year (the clock is the server's injected one, so this runs on the in-process app
through ``ASGIBridge``; the real-server budget tests are ``test_budget_attacks.py`` and
``test_queries_server.py``). Without a cap a year would allow 12 x 1; with a lifetime
cap of 3 the total stops at exactly 3, every later query is refused in plain words
(409, nothing charged), and a stored result is still returned for free.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI

from tests.integration.clock import Clock
from tests.integration.query_world import QueryWorld, conversions, in_process, make_world

WINDOWS = [f"{days}d" for days in range(1, 31)]


def ask(w: QueryWorld, body: dict[str, Any]) -> Any:
    with w.client("brand") as client:
        return client.post(f"/v1/collaborations/{w.id}/queries", json=body)


def test_a_year_of_refreshes_stops_at_the_lifetime_cap(app: FastAPI, clock: Clock) -> None:
    w = make_world(
        in_process(app), app.state.admin_token, budget="1", lifetime="3", epsilons='["1/2"]'
    )
    windows = iter(WINDOWS)
    granted: list[int] = []
    refusals: set[str] = set()
    for month in range(1, 13):
        clock.at = datetime(2027, month, 3, tzinfo=UTC)
        this_month = 0
        while True:
            reply = ask(w, conversions(next(windows)))
            assert reply.status_code in (201, 409), reply.text
            if reply.status_code == 409:
                refusals.add(reply.json()["denials"][0]["code"])
                break
            this_month += 1
        granted.append(this_month)
    assert granted == [2, 2, 2] + [0] * 9
    assert refusals == {"budget_exhausted", "lifetime_exhausted"}
    last = ask(w, conversions(next(windows))).json()
    assert last["detail"] == (
        "this query needs epsilon 0.5, 0 is left of the lifetime cap of 3 set by the "
        "collaboration policy `test` v1; it never refreshes"
    )
    with w.client("aud") as client:
        budget = client.get(f"/v1/collaborations/{w.id}/budget").json()
    assert budget["spent"]["exact"] == "0/1"
    assert budget["lifetime"]["spent"]["exact"] == "3/1"
    assert budget["lifetime"]["remaining"]["exact"] == "0/1"
    repeat = ask(w, conversions(WINDOWS[0]))
    assert (repeat.status_code, repeat.json()["epsilon_charged"]) == (200, "0/1")
