"""``party-agent plan-budget`` and ``report`` against a real server: post-processing of
stored results only (the budget is unchanged), readable output, files ready to load; the
report opened in headless Chromium (no console error, no request at all, a screenshot
under the test's temp dir)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

import party_agent
from party_agent import results
from party_agent.client import CleanRoomClient
from party_agent.credentials import Credential
from party_agent.home import PartyHome
from tests.integration.agents import agent
from tests.integration.browser import ARGS, Watch, chromium_or_skip
from tests.integration.query_world import QueryWorld, make_world
from tests.integration.server import ServerProcess
from tests.integration.world import api


@pytest.fixture(scope="module")
def world(
    server: ServerProcess, admin: httpx.Client, tmp_path_factory: pytest.TempPathFactory
) -> tuple[QueryWorld, Path, dict[str, str]]:
    w = make_world(lambda token: api(server.url, token), server.admin_token, "plan", budget="5")
    home = tmp_path_factory.mktemp("brand") / "home"
    created = PartyHome.create(home, "brand")
    created.store_credential(w.id, Credential(server.url, w.party("brand").token))
    ids = {}
    with CleanRoomClient(server.url, w.party("brand").token) as client:
        common = {"exposures": "exp", "purchases": "pur"}
        ids["overlap"] = results.query(client, w.id, "overlap", **common)["id"]
        reply = results.query(client, w.id, "conversions", spend="spend", window="7d", **common)
        ids["conversions"] = reply["id"]
        RELEASED[:] = [  # a campaign the noisy threshold withheld has no return to plan on
            row["key"][0]
            for row in reply["result"]["rows"]
            if not row["suppressed"] and not row.get("remainder")
        ]
        ids["lift"] = results.query(client, w.id, "lift", window="7d", **common)["id"]
        ids["no_spend"] = results.query(client, w.id, "conversions", window="7d", **common)["id"]
    return w, home, ids


RELEASED: list[str] = []
"""The campaigns whose row the ``conversions`` result of the world released."""


def spent(home: Path) -> str:
    code, out, err = agent("budget", "--home", str(home), "--json")
    assert code == 0, err
    return str(json.loads(out)["spent"]["exact"])


def test_plan_budget_prints_writes_and_charges_nothing(
    world: tuple[QueryWorld, Path, dict[str, str]], tmp_path: Path
) -> None:
    _, home, ids = world
    before = spent(home)
    target = tmp_path / "plan.csv"
    code, out, err = agent(
        "plan-budget", ids["conversions"], "--home", str(home), "--max-change", "25%",
        "--out", str(target),
    )  # fmt: skip
    assert code == 0, err
    assert "cmp-0" in out and "P(beats avg)" in out and "no budget was charged" in out
    assert "ROAS [95%]" in out and "portfolio average ROAS (spend-weighted): " in out
    rows = list(csv.DictReader(target.read_text(encoding="utf-8").splitlines()))
    assert RELEASED and [r["campaign_id"] for r in rows] == RELEASED
    current = sum(float(r["current_spend"]) for r in rows)
    assert sum(float(r["suggested_spend"]) for r in rows) == pytest.approx(current, abs=1e-6)
    for r in rows:
        change = float(r["suggested_spend"]) - float(r["current_spend"])
        assert abs(change) <= 0.25 * float(r["current_spend"]) + 0.01
        assert r["basis"] == "roas" and 0 <= float(r["probability_beats_average"]) <= 1
    code, out, err = agent("plan-budget", ids["conversions"], "--home", str(home), "--json")
    assert code == 0, err
    assert json.loads(out)["basis"] == "roas" and json.loads(out)["limits"]["max_change"] == 0.2
    assert spent(home) == before  # post-processing: the budget is unchanged


def test_python_api_returns_the_plan_as_a_dataframe(
    world: tuple[QueryWorld, Path, dict[str, str]], server: ServerProcess
) -> None:
    w, _, ids = world
    with CleanRoomClient(server.url, w.party("brand").token) as client:
        reply = results.get_result(client, w.id, ids["conversions"])
    frame = party_agent.plan_budget([reply], max_change=0.1, min_spend=1.0)
    assert RELEASED and list(frame["campaign_id"]) == RELEASED
    assert frame["suggested_spend"].sum() == pytest.approx(frame["current_spend"].sum())
    assert (frame["suggested_spend"] >= 1.0).all()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["res_nope"], "error: "),
        (["@no_spend"], "error: no spend: no campaign of results res_"),
        (["@lift"], "error: no spend: results res_"),
        (["@conversions", "--max-change", "abc"], "error: --max-change must look like"),
        (["@conversions", "--max-change", "150%"], "error: --max-change must be between"),
        (["@conversions", "--min-spend", "1000000"], "error: the limits cannot all hold"),
        (["@conversions", "--out", "@plan.txt"], "error: --out must end in .csv or .json"),
    ],
)
def test_bad_input_is_one_error_line_and_no_file(
    world: tuple[QueryWorld, Path, dict[str, str]],
    tmp_path: Path,
    args: list[str],
    message: str,
) -> None:
    _, home, ids = world
    args = [ids.get(a[1:], str(tmp_path / a[1:])) if a.startswith("@") else a for a in args]
    if "--out" not in args:
        args += ["--out", str(tmp_path / "plan.csv")]
    code, _, err = agent("plan-budget", *args, "--home", str(home))
    assert code != 0 and err.startswith(message) and err.count("\n") == 1, err
    assert list(tmp_path.iterdir()) == []


def test_report_is_one_page_with_plan_summary_and_terms(
    world: tuple[QueryWorld, Path, dict[str, str]], tmp_path: Path
) -> None:
    _, home, ids = world
    before = spent(home)
    target = tmp_path / "report.html"
    chosen = [ids["overlap"], ids["conversions"], ids["lift"]]
    code, out, err = agent(
        "report", *chosen, "--home", str(home), "--out", str(target), "--currency", "JPY",
    )  # fmt: skip
    assert code == 0 and f"wrote the report of 3 result(s) to {target}" in out, err
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    assert "Match rate" in page and "Beat their holdout" in page
    assert "reallocation plan" in page and "Privacy terms" in page
    assert "JPY " in page and "amount per purchase (capped at)" in page and "JPY 200" in page
    assert all(i in page for i in chosen)
    assert spent(home) == before
    code, _, err = agent(
        "report", ids["overlap"], "--home", str(home), "--out", str(tmp_path / "r.html"),
        "--currency", "XYZ",
    )  # fmt: skip
    assert code != 0 and err.startswith("error: unknown currency 'XYZ'")
    assert not (tmp_path / "r.html").exists()


def test_report_in_headless_chromium(
    world: tuple[QueryWorld, Path, dict[str, str]], tmp_path: Path
) -> None:
    sync_api: Any = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    executable = chromium_or_skip()
    _, home, ids = world
    target = tmp_path / "report.html"
    chosen = [ids["overlap"], ids["conversions"], ids["lift"]]
    code, _, err = agent("report", *chosen, "--home", str(home), "--out", str(target))
    assert code == 0, err
    watch = Watch()
    with sync_api.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=executable, args=ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1200, "height": 900})
            watch.attach(context)
            requests: list[str] = []
            context.on("request", lambda request: requests.append(request.url))
            page = context.new_page()
            page.set_content(target.read_text(encoding="utf-8"), wait_until="load")
            assert page.locator("svg[role=img]").count() >= 6
            assert page.get_by_role("heading", name="Privacy terms").is_visible()
            assert page.locator("h2", has_text="reallocation plan").is_visible()
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        finally:
            browser.close()
    watch.assert_clean()
    assert requests == []  # the page loads nothing: no CDN, no font, no image
    assert (tmp_path / "report.png").stat().st_size > 20_000
