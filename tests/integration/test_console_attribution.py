# ruff: noqa: F811 - the browser fixtures are imported from test_console_browser by name
"""The console's query form offers every attribution model the effective policy allows
(a party's rules narrow the list), the parameters of the models that take them, and the
closed-loop templates; a comparison is one query, and a parameter outside the policy's
bounds is refused in plain words with nothing charged. Real server, headless Chromium."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.query_world import QueryWorld, make_world
from tests.integration.server import ServerProcess
from tests.integration.test_console_browser import browser, shots, visit  # noqa: F401 - fixtures
from tests.integration.world import api

ATTRIBUTION = """attribution:
  models: [last_touch, first_touch, linear, position_based, time_decay]
  end_weight: {min: "0.2", max: "0.5"}
  half_life: {min: 1d, max: 14d}
"""
TEMPLATES = "[overlap, conversions, lift, reach_frequency, time_to_conversion, funnel]"
OFFERED = ["last_touch", "linear", "position_based", "time_decay"]  # first_touch: narrowed out


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, QueryWorld]]:
    server = ServerProcess(tmp_path_factory.mktemp("console-mta") / "data").start()
    try:
        world = make_world(
            lambda token: api(server.url, token), server.admin_token, "mta", budget="5",
            attribution=ATTRIBUTION, templates=TEMPLATES,
        )  # fmt: skip
        rules = f"party: retailer\nversion: 2\nattribution:\n  models: [{', '.join(OFFERED)}]\n"
        with world.client("retailer") as retailer:
            put = retailer.put(f"/v1/collaborations/{world.id}/rules", json={"text": rules})
            assert put.status_code == 201, put.text
        yield server, world
    finally:
        server.stop()


def _options(page: Any, label: str) -> list[str]:
    return page.get_by_label(label, exact=True).locator("option").all_inner_texts()


def _spent(page: Any) -> str:
    return page.locator(".budget-box strong").inner_text()


def test_the_form_offers_every_allowed_model_and_template(visit: Any, served: Any) -> None:
    world: QueryWorld = served[1]
    ana = visit("ana")
    page = ana.page
    ana.go(f"/ui/c/{world.id}/query", "mta-form")
    assert {"reach_frequency", "time_to_conversion", "funnel"} <= set(_options(page, "Template"))
    assert _options(page, "Attribution model") == OFFERED
    assert "Each between 1/5 and 1/2 (policy)" in page.locator("#weights-hint").inner_text()
    assert "between 1d and 14d (policy)" in page.locator("#half-life-hint").inner_text()
    assert page.get_by_label("first_touch").count() == 0  # not even as a comparison

    page.get_by_label("Template").select_option("conversions")
    page.get_by_label("Attribution window").select_option("7d")
    page.get_by_label("Spend dataset (for ROAS)").select_option("spend")
    page.get_by_label("Attribution model", exact=True).select_option("last_touch")
    for model in ("linear", "position_based", "time_decay"):
        page.get_by_label(model, exact=True).check()
    page.get_by_label("position_based: share of the first touch").fill("0.3")
    page.get_by_label("position_based: share of the last touch").fill("0.4")
    page.get_by_label("time_decay: half-life").fill("2d")
    page.get_by_label("Epsilon to spend").select_option("1/2")
    page.get_by_label("Result for").select_option("brand")
    page.get_by_role("button", name="Run query").click()
    page.wait_for_url(re.compile(r".*/results/res_\w+$"))
    ana.check("mta-result")
    headings = page.locator("table.result thead").inner_text()
    for model in ("last touch", "linear", "position based", "time decay"):
        assert f"{model} credited conversions" in headings, headings
    assert "$" in page.locator("table.result").inner_text()


def test_a_closed_loop_template_runs_from_the_form(visit: Any, served: Any) -> None:
    world: QueryWorld = served[1]
    ana = visit("ana")
    page = ana.page
    ana.go(f"/ui/c/{world.id}/query", "funnel-form")
    page.get_by_label("Template").select_option("funnel")
    page.get_by_label("Attribution window").select_option("7d")
    page.get_by_label("Epsilon to spend").select_option("1/4")
    page.get_by_label("Result for").select_option("retailer")
    page.get_by_role("button", name="Run query").click()
    page.wait_for_url(re.compile(r".*/results/res_\w+$"))
    ana.check("funnel-result")
    assert page.get_by_role("heading", name="Funnel result").is_visible()
    assert "match rate" in page.locator("table.result thead").inner_text()
    assert "%" in page.locator("table.result tbody").inner_text()


def test_a_weight_outside_the_bounds_is_refused_and_charges_nothing(
    visit: Any, served: Any
) -> None:
    world: QueryWorld = served[1]
    ana = visit("ana")
    page = ana.page
    ana.go(f"/ui/c/{world.id}/query", "weights-form")
    before = _spent(page)
    page.get_by_label("Template").select_option("conversions")
    page.get_by_label("Attribution window").select_option("7d")
    page.get_by_label("Attribution model", exact=True).select_option("position_based")
    page.get_by_label("position_based: share of the first touch").fill("0.1")
    page.get_by_label("position_based: share of the last touch").fill("0.4")
    page.get_by_label("Result for").select_option("brand")
    ana.watch.expect_refusal(f"{ana.base}/ui/c/{world.id}/query")
    page.get_by_role("button", name="Run query").click()
    page.wait_for_load_state("load")
    alert = page.get_by_role("alert").inner_text()
    assert "position weight of the first touch 0.1 is outside 0.2..0.5" in alert, alert
    assert "Nothing was charged." in alert and _spent(page) == before
    assert page.get_by_label("position_based: share of the first touch").input_value() == "0.1"
