"""The privacy budget from an attacker's side, through the real server on loopback.

An analyst who could choose any epsilon made every probe a cache miss at almost no
cost; one who could wait for refreshes could spend without end; a party re-uploading
the same bytes made the same question cost again. Each of these is tried here and
must fail without charging anything, without engine work and without a 5xx.
(Refresh needs a clock the test controls, so that attack runs on the in-process app
in ``test_budget_refresh.py``.)
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import httpx

from tests.integration.datasets import parquet_bytes, version_files, wait_prepared
from tests.integration.query_world import (
    QueryWorld,
    conversions,
    exposures,
    make_world,
)
from tests.integration.server import ServerProcess
from tests.integration.uploading import upload
from tests.integration.world import api


def world(server: ServerProcess, name: str, **policy: Any) -> QueryWorld:
    return make_world(lambda token: api(server.url, token), server.admin_token, name, **policy)


def ask(w: QueryWorld, body: dict[str, Any], who: str = "ana") -> httpx.Response:
    """The analyst asks for results delivered to the brand."""
    body = {**body, "receiver": "brand"} if who == "ana" else body
    with w.client(who) as client:
        return client.post(f"/v1/collaborations/{w.id}/queries", json=body)


def budget(w: QueryWorld) -> dict[str, Any]:
    with w.client("aud") as client:
        reply: dict[str, Any] = client.get(f"/v1/collaborations/{w.id}/budget").json()
    return reply


def test_an_unlisted_epsilon_is_refused_before_any_work_and_costs_nothing(
    server: ServerProcess,
) -> None:
    w = world(server, "eps-probe", budget="2", lifetime="3")
    exposures_file = server.data_dir / "datasets" / w.id / "exp" / "v1.parquet"
    prepared = wait_prepared(exposures_file)  # the form queries read, written in the background
    hidden = {path: path.with_suffix(".hidden") for path in (exposures_file, prepared)}
    for path, away in hidden.items():
        path.rename(away)  # any engine work would now fail with a 5xx
    try:
        for epsilon in ("1e-6", "0.3", "1/3", "0.2500001", "2", 0.1):
            reply = ask(w, conversions(epsilon=epsilon))
            assert reply.status_code == 403, reply.text
            problem = reply.json()
            assert [d["code"] for d in problem["denials"]] == ["epsilon_not_allowed"]
            assert problem["detail"].endswith(
                "is not an allowed value; choose one of 0.25, 0.5 "
                "(set by the collaboration policy `test` v1)"
            )
        for absurd in ("1e-999999999", "1" * 60, 10**400):
            reply = ask(w, conversions(epsilon=absurd))
            assert reply.status_code in (400, 422), reply.text
    finally:
        for path, away in hidden.items():
            away.rename(path)
    state = budget(w)
    assert (state["spent"]["exact"], state["lifetime"]["spent"]["exact"]) == ("0/1", "0/1")
    allowed = ask(w, conversions(epsilon="1/4"))
    assert allowed.status_code == 201, allowed.text
    assert budget(w)["lifetime"] == {
        "limit": {"exact": "3/1", "value": 3.0},
        "spent": {"exact": "1/4", "value": 0.25},
        "remaining": {"exact": "11/4", "value": 2.75},
    }


def test_many_charges_through_the_server_add_up_exactly(server: ServerProcess) -> None:
    """48 fresh queries at three allowed epsilons with awkward denominators: no 5xx,
    and the budget's spent equals the exact sum of what each reply says it charged."""
    w = world(server, "many", budget="100", lifetime="100", epsilons='["1/7", "1/11", "1/13"]')
    choices = ["1/7", "1/11", "1/13"]
    charged, statuses = Fraction(0), []
    for i in range(48):
        window = f"{1 + i % 24}d"
        body = conversions(window, attribution=("last_touch", "first_touch")[i // 24])
        reply = ask(w, {**body, "epsilon": choices[i % 3]})
        statuses.append(reply.status_code)
        charged += Fraction(reply.json()["epsilon_charged"])
    assert statuses == [201] * 48
    state = budget(w)
    assert (
        Fraction(state["spent"]["exact"])
        == charged
        == 16 * Fraction(1, 7) + 16 * Fraction(1, 11) + 16 * Fraction(1, 13)
    )
    assert state["lifetime"]["spent"] == state["spent"]


def test_the_same_bytes_uploaded_twice_are_one_version_and_a_repeat_stays_free(
    server: ServerProcess,
) -> None:
    w = world(server, "reupload")
    first = ask(w, conversions("5d"), who="brand")
    assert first.status_code == 201, first.text
    same = parquet_bytes(exposures(w.id))
    with w.client("brand") as brand:
        again = upload(brand, w.id, same, "exp", "exposures")
        assert again.status_code == 200, again.text
        assert (again.json()["version"], again.json()["published"]) == (1, False)
        listed = brand.get(f"/v1/collaborations/{w.id}/datasets/exp").json()
    assert listed["versions"] == [1]
    assert version_files(server.data_dir / "datasets" / w.id / "exp") == ["v1.parquet"]
    repeat = ask(w, conversions("5d"), who="brand")
    assert repeat.status_code == 200, repeat.text
    assert (repeat.json()["reused"], repeat.json()["epsilon_charged"]) == (True, "0/1")
    assert repeat.json()["id"] == first.json()["id"]
    assert budget(w)["spent"]["exact"] == "1/2"
    changed = exposures(w.id).slice(0, 120)
    with w.client("brand") as brand:
        newer = upload(brand, w.id, parquet_bytes(changed), "exp", "exposures")
    assert (newer.json()["version"], newer.json()["published"]) == (2, True)
    fresh = ask(w, conversions("5d"), who="brand")
    assert (fresh.status_code, fresh.json()["reused"]) == (201, False)
