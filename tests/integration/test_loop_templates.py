"""reach_frequency, time_to_conversion and funnel through the one release path.

On a real ``cleanroom serve`` over loopback: each template is allowed by the signed
policy, charged once, audited, repeated for free, released with one histogram of the
stated sensitivity, and its noisy numbers lie near the world's truth; bad buckets are
problem+json (never a 5xx) and charge nothing. In process, exact mode gives the world's
exact numbers (query_world: 45 exposed-arm users per campaign, of whom 27 bought 1-5
days after their one exposure, once).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from cleanroom.release._testing import exact_mode
from party_agent import results
from party_agent.credentials import Credential
from party_agent.home import PartyHome
from tests.integration.agents import agent, words
from tests.integration.query_world import QueryWorld, in_process, make_world
from tests.integration.server import ServerProcess
from tests.integration.world import api

ALL = "[overlap, conversions, lift, reach_frequency, time_to_conversion, funnel]"
CAMPAIGNS = ["cmp-0", "cmp-1", "cmp-2"]
EXPOSED, CONVERTED = 45, 27


def body(template: str, **extra: Any) -> dict[str, Any]:
    return {"template": template, "exposures": "exp", "purchases": "pur", "window": "7d",
            "epsilon": "1/2", **extra}  # fmt: skip


def post(w: QueryWorld, payload: dict[str, Any]) -> httpx.Response:
    with w.client("brand") as client:
        return client.post(f"/v1/collaborations/{w.id}/queries", json=payload)


def spent(w: QueryWorld) -> str:
    with w.client("aud") as client:
        value: str = client.get(f"/v1/collaborations/{w.id}/budget").json()["spent"]["exact"]
    return value


def rows(reply: httpx.Response) -> dict[tuple[str, ...], dict[str, Any]]:
    result = reply.json()["result"]
    return {tuple(row["key"]): row for row in result["rows"]}


def near(estimate: list[float | None], truth: float) -> bool:
    """Within three half-widths of the 95% interval (a miss is a ~1e-6 event)."""
    value, low, high = estimate
    assert value is not None and low is not None and high is not None
    return abs(value - truth) <= 3 * max(high - low, 1.0) / 2


@pytest.fixture(scope="module")
def world(server: ServerProcess) -> QueryWorld:
    connect = lambda token: api(server.url, token)  # noqa: E731
    return make_world(connect, server.admin_token, "loop", budget="10", templates=ALL)


def test_reach_frequency_on_a_real_server(world: QueryWorld) -> None:
    before = spent(world)
    payload = body("reach_frequency", frequency_buckets=[1, 2, 4], frequency_cap=6)
    reply = post(world, payload)
    assert reply.status_code == 201, reply.text
    result = reply.json()["result"]
    assert result["key_columns"] == ["campaign", "frequency"]
    assert list(rows(reply)) == [(c, f) for c in CAMPAIGNS for f in ("1", "2-3", "4+")]
    (mechanism,) = result["mechanisms"]
    assert (mechanism["statistic"], mechanism["sensitivity"]) == ("frequency_cells", 3)
    assert mechanism["epsilon"] == "1/2" and result["exact"] is False
    for campaign in CAMPAIGNS:
        row = rows(reply)[(campaign, "1")]
        if not row["suppressed"]:
            assert near(row["values"]["users"], EXPOSED)
            assert near(row["values"]["converted"], CONVERTED)
    assert reply.json()["request"]["frequency_buckets"] == [1, 2, 4]
    again = post(world, payload)
    assert (again.status_code, again.json()["id"]) == (200, reply.json()["id"])
    assert again.json()["epsilon_charged"] == "0/1"
    assert (before, spent(world)) == ("0/1", "1/2")


def test_time_to_conversion_and_funnel_on_a_real_server(world: QueryWorld) -> None:
    before = spent(world)
    delays = post(world, body("time_to_conversion", delay_buckets=["1d", "2d", "3d"]))
    assert delays.status_code == 201, delays.text
    assert list(rows(delays)) == [
        (c, d) for c in CAMPAIGNS for d in ("0-1d", "1d-2d", "2d-3d", "3d+")
    ]
    (mechanism,) = delays.json()["result"]["mechanisms"]
    assert (mechanism["statistic"], mechanism["sensitivity"]) == ("delay_cells", 5)
    funnel = post(world, body("funnel", horizon="10d"))
    assert funnel.status_code == 201, funnel.text
    result = funnel.json()["result"]
    assert result["value_columns"][:4] == ["exposed", "matched", "converted", "repeated"]
    (mechanism,) = result["mechanisms"]
    assert (mechanism["statistic"], mechanism["sensitivity"]) == ("funnel_cells", 3)
    for campaign in CAMPAIGNS:
        row = rows(funnel)[(campaign,)]
        if not row["suppressed"]:
            assert near(row["values"]["exposed"], EXPOSED)
            assert near(row["values"]["converted"], CONVERTED)
            assert near(row["values"]["repeated"], 0)
    assert spent(world) == str(_plus(before, 1))


def _plus(fraction: str, whole: int) -> str:
    numerator, denominator = (int(x) for x in fraction.split("/"))
    from fractions import Fraction

    total = Fraction(numerator, denominator) + whole
    return f"{total.numerator}/{total.denominator}"


@pytest.mark.parametrize(
    ("payload", "status", "detail"),
    [
        (body("reach_frequency", frequency_buckets=[2, 3]), 422,
         "frequency_buckets: the first frequency bucket must start at 1 (one exposure)"),
        (body("reach_frequency", frequency_buckets=[1, 30]), 422,
         "frequency_buckets: the last edge 30 is above the frequency cap of 20"),
        (body("time_to_conversion", delay_buckets=["1d", "7d"]), 422,
         "delay_buckets: every boundary must be shorter than the window 7d, got 7d"),
        (body("funnel", horizon="60d"), 403,
         "repeat horizon (submitted value) is longer than the maximum window of 30d set by the "
         "collaboration policy `test` v1"),
        (body("funnel", frequency_cap=3), 422, "frequency_cap is not a parameter of funnel"),
        (body("lift", horizon="3d"), 422, "horizon is not a parameter of lift"),
    ],
)  # fmt: skip
def test_bad_buckets_are_refused_in_plain_words_and_charge_nothing(
    world: QueryWorld, payload: dict[str, Any], status: int, detail: str
) -> None:
    before = spent(world)
    reply = post(world, payload)
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"].startswith("application/problem+json")
    assert detail in reply.json()["detail"]
    assert spent(world) == before


def test_exact_mode_gives_the_worlds_numbers(app: FastAPI) -> None:
    w = make_world(in_process(app), app.state.admin_token, budget="2", templates=ALL)
    with exact_mode():
        freq = post(w, body("reach_frequency"))
        delays = post(w, body("time_to_conversion", delay_buckets=["1d", "2d", "3d"]))
        funnel = post(w, body("funnel"))
    for reply in (freq, delays, funnel):
        assert reply.status_code == 201, reply.text
        assert reply.json()["result"]["exact"] is True
    for campaign in CAMPAIGNS:
        values = rows(freq)[(campaign, "1")]["values"]
        assert (values["users"][0], values["converted"][0]) == (EXPOSED, CONVERTED)
        assert values["conversion_rate"][0] == CONVERTED / EXPOSED
        assert all(rows(freq)[(campaign, f)]["suppressed"] for f in ("2", "3-5", "6-10", "11+"))
        stages = rows(funnel)[(campaign,)]["values"]
        assert [stages[s][0] for s in ("exposed", "matched", "converted", "repeated")] == [
            EXPOSED, CONVERTED, CONVERTED, 0
        ]  # fmt: skip
        assert stages["repeat_rate"][0] == 0.0
        total = sum(rows(delays)[(campaign, d)]["values"]["purchases"][0]
                    for d in ("0-1d", "1d-2d", "2d-3d", "3d+"))  # fmt: skip
        assert total == CONVERTED
        assert rows(delays)[(campaign, "0-1d")]["values"]["purchases"][0] == 0


@pytest.fixture(scope="module")
def brand_home(
    world: QueryWorld, server: ServerProcess, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    home = tmp_path_factory.mktemp("brand") / "home"
    created = PartyHome.create(home, "brand")
    created.store_credential(world.id, Credential(server.url, world.party("brand").token))
    return home


def _query(home: Path, template: str, *extra: str) -> tuple[int, str, str]:
    return agent("query", template, "--home", str(home), "--exposures", "exp",
                 "--purchases", "pur", "--window", "7d", "--epsilon", "1/4", *extra)  # fmt: skip


@pytest.mark.parametrize(
    ("template", "extra", "shown"),
    [
        ("reach_frequency", ("--frequency-buckets", "1,2,4", "--frequency-cap", "6"),
         ["frequency", "2-3", "4+", "conversion rate"]),
        ("time_to_conversion", ("--delay-buckets", "1d,2d,3d", "--attribution", "first_touch"),
         ["delay", "0-1d", "3d+", "campaign purchases", "share"]),
        ("funnel", ("--horizon", "10d"), ["exposed", "matched", "repeated", "repeat"]),
    ],
)  # fmt: skip
def test_party_agent_prints_readable_tables(
    brand_home: Path, template: str, extra: tuple[str, ...], shown: list[str]
) -> None:
    code, out, err = _query(brand_home, template, *extra)
    assert code == 0, err
    assert f"{template} — result res_" in out and "95% interval" in words(out)
    assert all(word in out for word in [*shown, "cmp-0", "cmp-2"]), out


def test_party_agent_refuses_bad_buckets_in_one_line(brand_home: Path) -> None:
    code, _, err = _query(brand_home, "reach_frequency", "--frequency-buckets", "2,3")
    assert code == 1
    assert err.startswith("error: frequency_buckets: the first frequency bucket must start")
    assert err.count("\n") == 1
    code, _, err = _query(brand_home, "reach_frequency", "--frequency-buckets", "1,x")
    assert code != 0 and err.count("\n") == 1, err
    assert "frequency buckets must be whole numbers separated by commas" in err


def test_python_api_returns_dataframes(brand_home: Path) -> None:
    frame = results.query_frame(
        brand_home, "funnel", exposures="exp", purchases="pur", window="7d", horizon="10d"
    )
    assert list(frame["campaign"]) == CAMPAIGNS
    assert {"exposed", "exposed_low", "exposed_high", "repeat_rate_high"} <= set(frame.columns)
    freq = results.query_frame(
        brand_home, "reach_frequency", exposures="exp", purchases="pur", window="7d",
        frequency_buckets=[1, 3], frequency_cap=3,
    )  # fmt: skip
    assert list(zip(freq["campaign"], freq["frequency"], strict=True)) == [
        (c, f) for c in CAMPAIGNS for f in ("1-2", "3+")
    ]
