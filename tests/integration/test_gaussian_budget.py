"""A ``noise: gaussian`` collaboration from an analyst's side, through the real server.

Every released statistic is a discrete Gaussian; each query is charged its epsilon in
the same ledger as under Laplace, and its rho (``rho_spent``) converts to at most that
epsilon at the policy's delta. An analyst who keeps asking fresh questions is refused
once the charged epsilons would pass the budget, and the rho of everything released
converts (by the Canonne-Kamath-Steinke bound, computed here independently) to at most the budget
at the one declared delta. A repeat is the stored answer, never a second draw.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import httpx

from tests.integration.query_world import (
    QueryWorld,
    approve_current,
    conversions,
    make_world,
    policy_yaml,
)
from tests.integration.server import ServerProcess
from tests.integration.world import api

DELTA = Fraction(1, 10**9)
# query_world's policy_yaml appends this block after its own fields
NOISE = "noise: {mechanism: gaussian, delta: 1e-9}\n"
WIDE_NOISE = "noise: {mechanism: gaussian, delta: 1e-6}\n"


def world(server: ServerProcess, name: str, **policy: Any) -> QueryWorld:
    connect = lambda token: api(server.url, token)  # noqa: E731 -- as in the other worlds
    return make_world(connect, server.admin_token, name, attribution=NOISE, **policy)


def ask(w: QueryWorld, body: dict[str, Any]) -> httpx.Response:
    with w.client("ana") as client:
        return client.post(f"/v1/collaborations/{w.id}/queries", json={**body, "receiver": "brand"})


def independent_log_delta(rho: float, epsilon: float) -> float:
    """The log of the smallest delta at ``epsilon`` of a rho-zCDP release over a grid of
    orders (Canonne, Kamath & Steinke 2020, Prop. 12, written out here)."""

    def log_delta(a: float) -> float:
        return (a - 1) * (a * rho - epsilon) - math.log(a - 1) + a * math.log1p(-1 / a)

    best = min((1 + 10 ** (k / 100) for k in range(-600, 800)), key=log_delta)
    for width in (100, 10_000, 1_000_000):  # zoom in: each grid spans two steps of the last
        grid = [1 + (best - 1) * 10 ** (k / (100 * width)) for k in range(-200, 201)]
        best = min(grid, key=log_delta)
    return log_delta(best)


def test_repeated_gaussian_queries_cannot_exceed_the_declared_epsilon_and_delta(
    server: ServerProcess,
) -> None:
    w = world(server, "gauss-drain", budget="1", lifetime="1")
    statuses, results = [], []
    for day in range(1, 9):  # fresh windows: each is a new question, never a repeat
        reply = ask(w, conversions(f"{day}d", epsilon="1/4"))
        statuses.append(reply.status_code)
        if reply.status_code == 201:
            results.append(reply.json())
        else:
            assert reply.json()["type"].endswith("budget-exhausted"), reply.text
    assert statuses == [201] * 4 + [409] * 4
    charged = sum((Fraction(r["epsilon_charged"]) for r in results), Fraction(0))
    assert charged == 1
    rho = Fraction(0)
    for reply in results:
        inner = reply["result"]
        assert inner["delta"] == "1/1000000000"
        assert {m["mechanism"] for m in inner["mechanisms"]} == {"discrete_gaussian"}
        shares = [Fraction(m["accounted_rho"]) for m in inner["mechanisms"]]
        assert all(
            s <= Fraction(m["rho"]) for s, m in zip(shares, inner["mechanisms"], strict=True)
        )
        assert sum(shares, Fraction(0)) <= Fraction(inner["rho_spent"])
        rho += Fraction(inner["rho_spent"])
    assert independent_log_delta(float(rho), 1.0) <= math.log(DELTA) + 1e-9
    with w.client("ana") as client:  # the budget says at which delta the spent total holds
        budget = client.get(f"/v1/collaborations/{w.id}/budget").json()
    assert budget["spent"]["exact"] == "1/1" and budget["delta"]["exact"] == "1/1000000000"
    assert budget["noise"] == {"mechanism": "gaussian", "delta": budget["delta"]}
    assert results[-1]["budget"]["delta"] == budget["delta"]


def test_a_pure_dp_budget_holds_at_delta_zero(server: ServerProcess) -> None:
    connect = lambda token: api(server.url, token)  # noqa: E731 -- as in the other worlds
    w = make_world(connect, server.admin_token, "laplace-delta", budget="1", lifetime="1")
    with w.client("ana") as client:
        before = client.get(f"/v1/collaborations/{w.id}/budget").json()
    reply = ask(w, conversions("2d", epsilon="1/4"))
    assert reply.status_code == 201, reply.text
    for budget in (before, reply.json()["budget"]):
        assert budget["noise"] == {"mechanism": "laplace", "delta": None}
        assert budget["delta"] == {"exact": "0/1", "value": 0.0}


def test_a_gaussian_repeat_is_the_stored_draw_at_no_cost(server: ServerProcess) -> None:
    w = world(server, "gauss-repeat", budget="1", lifetime="1")
    first = ask(w, conversions("3d", epsilon="1/2"))
    again = ask(w, conversions("3d", epsilon="1/2"))
    assert (first.status_code, again.status_code) == (201, 200), again.text
    assert again.json()["epsilon_charged"] == "0/1"
    assert again.json()["result"]["rows"] == first.json()["result"]["rows"]


def _switch_policy(server: ServerProcess, w: QueryWorld, text: str) -> None:
    """The operator proposes ``text`` and both parties approve it: the next queries run
    under it."""
    with api(server.url, server.admin_token) as admin:
        reply = admin.post(f"/v1/collaborations/{w.id}/policies", json={"text": text})
        assert reply.status_code == 201, reply.text
    approve_current(w.connect, w.collab)


def test_the_reported_delta_never_falls_when_the_policy_lowers_it_or_turns_pure(
    server: ServerProcess,
) -> None:
    """Attack: an operator runs Gaussian queries at delta 1e-6, then switches the policy
    to delta 1e-9 and then to pure DP (Laplace), hoping the budget reply reports the
    spent total at the new, smaller delta. The spent epsilon holds only at the largest
    delta any charged query ran under, and /budget and every later reply say 1e-6."""
    connect = lambda token: api(server.url, token)  # noqa: E731 -- as in the other worlds
    w = make_world(connect, server.admin_token, "delta-falls", budget="4", lifetime="4")
    _switch_policy(server, w, policy_yaml(budget="4", lifetime="4", attribution=WIDE_NOISE))
    wide = ask(w, conversions("2d", epsilon="1/4"))
    assert wide.status_code == 201, wide.text
    assert wide.json()["budget"]["delta"]["exact"] == "1/1000000"
    _switch_policy(server, w, policy_yaml(budget="4", lifetime="4", attribution=NOISE))
    narrow = ask(w, conversions("3d", epsilon="1/4"))
    assert narrow.status_code == 201, narrow.text
    assert narrow.json()["budget"]["noise"]["delta"]["exact"] == "1/1000000000"
    _switch_policy(server, w, policy_yaml(budget="4", lifetime="4", k=3))  # a new version
    pure = ask(w, conversions("4d", epsilon="1/4"))
    assert pure.status_code == 201, pure.text
    with w.client("ana") as client:
        budget = client.get(f"/v1/collaborations/{w.id}/budget").json()
    assert budget["noise"] == {"mechanism": "laplace", "delta": None}
    assert budget["spent"]["exact"] == "3/4"
    for reply in (narrow.json()["budget"], pure.json()["budget"], budget):
        assert reply["delta"]["exact"] == "1/1000000"
