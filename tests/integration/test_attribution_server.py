"""Attribution models of ``conversions`` on a real ``cleanroom serve`` over loopback.

A comparison of five models is one query: one charge, one result with one column set per
model, an epsilon share recorded per mechanism that adds up to the charge; the agent's
``query conversions --attribution a,b,c`` and the Python API ask the same. A model the
policy does not allow, ``w_shaped`` without a declared stage column, and parameters
outside the policy's bounds are refused before anything is computed or charged.
"""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import httpx
import pytest

from party_agent import results
from party_agent.credentials import Credential
from party_agent.home import PartyHome
from tests.integration.query_world import QueryWorld, conversions, make_world
from tests.integration.server import ServerProcess
from tests.integration.world import api

ATTRIBUTION = """attribution:
  models: [last_touch, first_touch, linear, position_based, time_decay, w_shaped]
  end_weight: {min: "0.3", max: "0.5"}
  half_life: {min: 1d, max: 14d}
  stage: {column: channel, values: [search, social], milestone: social}
"""
COMPARED = ["last_touch", "linear", "position_based", "time_decay", "w_shaped"]


@pytest.fixture(scope="module")
def world(server: ServerProcess, admin: httpx.Client) -> QueryWorld:
    return make_world(
        lambda token: api(server.url, token), server.admin_token, "mta", budget="5",
        attribution=ATTRIBUTION,
    )  # fmt: skip


@pytest.fixture(scope="module")
def plain(server: ServerProcess, admin: httpx.Client) -> QueryWorld:
    """A policy without an `attribution` section: last_touch and first_touch only."""
    return make_world(lambda token: api(server.url, token), server.admin_token, "plain")


def _post(w: QueryWorld, body: dict[str, object]) -> httpx.Response:
    with w.client("brand") as client:
        return client.post(f"/v1/collaborations/{w.id}/queries", json=body)


def test_a_comparison_is_one_query_with_one_column_set_per_model(world: QueryWorld) -> None:
    body = conversions(
        attribution=COMPARED, half_life="3d", position_weights=["0.3", "0.4"],
        spend="spend", epsilon="1/2",
    )  # fmt: skip
    reply = _post(world, body)
    assert reply.status_code == 201, reply.text
    data = reply.json()
    inner = data["result"]
    assert data["epsilon_charged"] == "1/2" and data["budget"]["spent"]["exact"] == "1/2"
    expected = ["exposed_users"] + [
        f"{m}.{c}" for m in COMPARED for c in ("credited_conversions", "credited_revenue", "roas")
    ]
    assert inner["value_columns"] == expected
    names = [m["statistic"] for m in inner["mechanisms"]]
    assert names == ["exposed"] + [
        f"{s}:{m}" for m in COMPARED for s in ("credited_micro", "credited_revenue_cents")
    ]
    shares = [Fraction(m["epsilon"]) for m in inner["mechanisms"]]
    assert shares == [Fraction(1, 22)] * 11 and sum(shares) == Fraction(1, 2)
    assert all(
        Fraction(m["accounted_epsilon"]) <= Fraction(m["epsilon"]) for m in inner["mechanisms"]
    )
    micro = {m["statistic"]: m["sensitivity"] for m in inner["mechanisms"]}
    assert micro["exposed"] == 3 and micro["credited_micro:linear"] == 5 * 1_000_000
    assert micro["credited_revenue_cents:w_shaped"] == 5 * 200 * 100
    assert [row["key"] for row in inner["rows"]] == [["cmp-0"], ["cmp-1"], ["cmp-2"]]
    credit = data["request"]
    assert credit["attribution"] == COMPARED and credit["half_life"] == "3d"
    assert credit["position_weights"] == ["3/10", "2/5"]
    assert _post(world, body).json()["reused"] is True  # identical repeat: free


def test_the_agent_cli_and_the_python_api_compare_models(
    server: ServerProcess, world: QueryWorld, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    created = PartyHome.create(home, "brand")
    created.store_credential(world.id, Credential(server.url, world.party("brand").token))
    args = ["query", "conversions", "--home", str(home), "--exposures", "exp", "--purchases"]
    args += ["pur", "--window", "7d", "--attribution", "last_touch,linear,position_based"]
    args += ["--position-weights", "0.4,0.4", "--epsilon", "1/4"]
    done = subprocess.run(
        [sys.executable, "-m", "party_agent", *args], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    for stat in ("credited_conversions", "credited_revenue", "roas"):  # one table each,
        table = done.stdout.split(f"{stat} by attribution model")[1].split("cmp-0")[0]
        assert all(m in table for m in ("last_touch", "linear", "position_based")), stat
    frame = results.query_frame(
        home, "conversions", exposures="exp", purchases="pur", window="7d",
        attribution=["last_touch", "linear", "position_based"], epsilon="1/4",
    )  # fmt: skip
    assert list(frame["campaign"]) == ["cmp-0", "cmp-1", "cmp-2"]
    for model in ("last_touch", "linear", "position_based"):
        assert f"{model}.credited_conversions_low" in frame.columns
    code = subprocess.run(
        [sys.executable, "-m", "party_agent", *args[:-2], "--epsilon", "1/4", "--json",
         "--half-life", "2d"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert code.returncode != 0 and "half_life: only time_decay takes a half-life" in code.stderr
    assert len(code.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        ({"attribution": "linear"}, "attribution_not_allowed",
         "attribution model `linear` is not allowed by the collaboration policy `test` v1 "
         "(allowed: first_touch, last_touch)"),
        ({"attribution": ["last_touch", "w_shaped"]}, "attribution_unavailable",
         "w_shaped is unavailable: it needs a stage column of the exposures declared under "
         "attribution.stage, and the collaboration policy `test` v1 declares none"),
    ],
)  # fmt: skip
def test_models_the_policy_does_not_offer_are_denied(
    plain: QueryWorld, extra: dict[str, object], code: str, message: str
) -> None:
    reply = _post(plain, conversions(**extra))
    assert reply.status_code == 403, reply.text
    assert reply.headers["content-type"].startswith("application/problem+json")
    denials = reply.json()["denials"]
    assert [(d["code"], d["message"]) for d in denials] == [(code, message)]
    with plain.client("brand") as client:
        budget = client.get(f"/v1/collaborations/{plain.id}/budget").json()
    assert budget["spent"]["exact"] == "0/1"


def test_parameters_outside_the_policy_bounds_are_denied(world: QueryWorld) -> None:
    reply = _post(
        world, conversions(attribution="time_decay", half_life="30d", position_weights=None)
    )
    assert reply.status_code == 403, reply.text
    assert [d["code"] for d in reply.json()["denials"]] == ["half_life_out_of_bounds"]
    reply = _post(world, conversions(attribution="position_based", position_weights=[0.2, 0.5]))
    assert [d["code"] for d in reply.json()["denials"]] == ["position_weight_out_of_bounds"]
    reply = _post(world, conversions(attribution="time_decay"))
    assert reply.status_code == 422, reply.text
    assert reply.headers["content-type"].startswith("application/problem+json")
    assert "time_decay needs a half-life" in reply.text


@pytest.fixture(scope="module")
def narrowed(server: ServerProcess, admin: httpx.Client) -> QueryWorld:
    """The policy allows every model; the retailer's own rules allow only two of them."""
    w = make_world(
        lambda token: api(server.url, token), server.admin_token, "narrow", budget="5",
        attribution=ATTRIBUTION,
    )  # fmt: skip
    rules = "party: retailer\nversion: 2\nattribution:\n  models: [last_touch, position_based]\n"
    with w.client("retailer") as retailer:
        put = retailer.put(f"/v1/collaborations/{w.id}/rules", json={"text": rules})
    assert put.status_code == 201, put.text
    return w


def test_a_model_the_party_excluded_is_denied_naming_its_rules(narrowed: QueryWorld) -> None:
    reply = _post(narrowed, conversions(attribution=["last_touch", "linear"]))
    assert reply.status_code == 403, reply.text
    assert reply.headers["content-type"].startswith("application/problem+json")
    denials = reply.json()["denials"]
    assert [(d["code"], d["field"], d["message"]) for d in denials] == [
        (
            "attribution_not_allowed",
            "attribution.models",
            "attribution model `linear` is not allowed by the retailer's policy v2 "
            "(allowed: last_touch, position_based)",
        )
    ]
    with narrowed.client("brand") as client:
        budget = client.get(f"/v1/collaborations/{narrowed.id}/budget").json()
    assert budget["spent"]["exact"] == "0/1"
    allowed = _post(narrowed, conversions(attribution="position_based"))
    assert allowed.status_code == 201, allowed.text


def test_party_rules_may_narrow_only_the_models(narrowed: QueryWorld) -> None:
    rules = "party: retailer\nversion: 3\nattribution:\n  half_life: {min: 1d, max: 2d}\n"
    with narrowed.client("retailer") as retailer:
        put = retailer.put(f"/v1/collaborations/{narrowed.id}/rules", json={"text": rules})
    assert put.status_code == 422, put.text
    assert put.headers["content-type"].startswith("application/problem+json")
    assert "a party's rules may only narrow `models`" in put.text
