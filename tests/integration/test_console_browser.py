"""The web console in a real headless Chromium against a real ``cleanroom serve``.

Each role signs in with its API token: the analyst runs a query and sees its chart and
CSV, a party admin is refused in plain words once the budget is spent, the auditor sees
the budget and the verified audit log and cannot reach query pages. No page logs a
console error, no request leaves loopback, and no raw identifier of the world's input
appears on any page. A screenshot of every page is written under the module's temp dir.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import policies
from tests.integration.browser import ARGS, Watch, chromium_or_skip
from tests.integration.query_world import QueryWorld, make_world, policy_yaml
from tests.integration.server import ServerProcess
from tests.integration.world import api

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
TIMEOUT_MS = 10_000


def overlap() -> dict[str, str]:
    return {"template": "overlap", "exposures": "exp", "purchases": "pur", "epsilon": "1/4"}


RAW = re.compile(r"user\d+@example\.com")  # the world's emails, before tokenization


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, QueryWorld]]:
    server = ServerProcess(tmp_path_factory.mktemp("console") / "data").start()
    try:
        world = make_world(lambda token: api(server.url, token), server.admin_token)
        with world.client("retailer") as retailer:  # one result before any test: 1/4 spent
            asked = retailer.post(f"/v1/collaborations/{world.id}/queries", json=overlap())
            assert asked.status_code == 201, asked.text
            stricter = policy_yaml(k=5).replace("version: 1", "version: 2")
            proposed = retailer.post(
                f"/v1/collaborations/{world.id}/policies", json={"text": stricter}
            )
            assert proposed.status_code == 201, proposed.text  # signed by nobody yet
        yield server, world
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = chromium_or_skip()
    with playwright_api.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=executable, args=ARGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("console-screenshots")


class Visit:
    """One person's browser: sign in, go to pages, screenshot them, check each one."""

    def __init__(self, browser: Any, server: ServerProcess, shots: Path, who: str) -> None:
        self.watch = Watch()
        self.context = browser.new_context(viewport={"width": 1366, "height": 800})
        self.watch.attach(self.context)
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.base, self.shots, self.who = server.url, shots, who

    def sign_in(self, token: str, keyboard: bool = False) -> None:
        self.go("/ui/login", "login")
        if keyboard:  # the token field has the focus: type, then Enter
            self.page.keyboard.type(token)
            self.page.keyboard.press("Enter")
        else:
            self.page.get_by_label("API token").fill(token)
            self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_url(re.compile(r".*/ui(/c/.*)?$"))

    def go(self, path: str, shot: str, status: int = 200) -> Any:
        if status != 200:
            self.watch.expect_refusal(self.base + path)
        reply = self.page.goto(self.base + path)
        assert reply.status == status, path
        self.check(shot)
        return reply

    def check(self, shot: str) -> None:
        self.page.wait_for_load_state("load")
        assert not RAW.search(self.page.content()), "a raw identifier reached a page"
        self.page.screenshot(path=str(self.shots / f"{self.who}-{shot}.png"), full_page=True)

    def nav(self) -> list[str]:
        return self.page.get_by_role("navigation").get_by_role("link").all_inner_texts()

    def close(self) -> None:
        self.context.close()
        self.watch.assert_clean()


@pytest.fixture
def visit(browser: Any, served: tuple[ServerProcess, QueryWorld], shots: Path) -> Iterator[Any]:
    opened: list[Visit] = []

    def open_as(who: str) -> Visit:
        one = Visit(browser, served[0], shots, who)
        opened.append(one)
        token = served[1].party(who).token if who != "admin" else served[0].admin_token
        one.sign_in(token, keyboard=who == "admin")
        return one

    yield open_as
    for one in opened:
        one.close()


def test_analyst_runs_a_query_and_sees_its_chart(visit: Any, served: Any) -> None:
    world: QueryWorld = served[1]
    ana = visit("ana")
    assert ana.nav() == ["Overview", "Results", "Run a query", "Budget"]
    page = ana.page
    ana.check("overview")
    assert page.get_by_role("heading", name="The policy in plain words").is_visible()
    words = page.locator("ul.words").inner_text()
    for line in policies.describe_lines(policies.policy_from_yaml(policy_yaml())):
        assert line in words  # the policy in force, in the policies package's own words
    versions = page.locator("#history-h + table").inner_text()
    assert "waiting for brand, retailer" in versions and "approved by every party" in versions
    assert "minimum group size k is stricter: 2 -> 5" in versions  # policies.diff
    datasets = page.locator("#datasets-h + table")
    assert "exp" in datasets.inner_text() and "150" in datasets.inner_text()
    ana.go(f"/ui/c/{world.id}/query", "query-form")
    assert "Epsilon left in this period (monthly)" in page.locator(".budget-box").inner_text()
    page.get_by_label("Template").select_option("conversions")
    page.get_by_label("Attribution window").select_option("7d")
    page.get_by_label("Spend dataset (for ROAS)").select_option("spend")
    page.get_by_label("Epsilon to spend").select_option("1/4")
    page.get_by_label("Result for").select_option("brand")
    page.get_by_role("button", name="Run query").click()
    page.wait_for_url(re.compile(r".*/results/res_\w+$"))
    ana.check("result")
    assert page.get_by_role("heading", name="Conversions result").is_visible()
    charts = page.locator("figure.chart svg[role=img]")
    assert charts.count() >= 3
    assert page.locator("svg[aria-label='Converted users per group']").is_visible()
    assert "true value" not in page.locator("figure.chart").first.inner_text()  # none known
    table = page.locator("table.result")
    assert "cmp-0" in table.inner_text() and "%" in table.inner_text() and "$" in table.inner_text()
    csv = page.request.get(page.url + "/csv")
    assert csv.status == 200 and csv.text().startswith("campaign,suppressed,remainder,")
    ana.go(f"/ui/c/{world.id}/results", "results")
    assert page.get_by_role("link", name="conversions").count() == 1
    assert page.get_by_role("link", name="overlap").count() == 1  # analysts read every result
    ana.go(f"/ui/c/{world.id}/budget", "budget")
    facts = page.locator("dl.facts").inner_text()
    assert "epsilon 1/2 (50%)" in facts  # spent, of 1
    assert "discrete Laplace (pure DP); the epsilon spent holds with delta 0" in facts


def test_party_admin_is_refused_in_plain_words_once_the_budget_is_spent(
    visit: Any, served: Any
) -> None:
    world: QueryWorld = served[1]
    brand = visit("brand")
    page = brand.page
    assert brand.nav() == ["Overview", "Results", "Run a query", "Budget"]
    brand.watch.expect_refusal(f"{brand.base}/ui/c/{world.id}/query")  # the refusal: 409
    for window in ("1d", "3d", "14d", "30d"):  # 1/2 each of a budget of 1: two fit at most
        brand.go(f"/ui/c/{world.id}/query", "query-form")
        page.get_by_label("Template").select_option("lift")
        page.get_by_label("Attribution window").select_option(window)
        page.get_by_label("Epsilon to spend").select_option("1/2")
        page.get_by_role("button", name="Run query").click()
        page.wait_for_load_state("load")
        if page.get_by_role("alert").count():
            break
    brand.check("denied")
    alert = page.get_by_role("alert").inner_text()
    assert alert.startswith("Refused: ") and "budget" in alert and "Nothing was charged" in alert
    assert "/results/" not in page.url


def test_auditor_sees_budget_and_verified_audit_log_but_no_query_pages(
    visit: Any, served: Any
) -> None:
    world: QueryWorld = served[1]
    aud = visit("aud")
    page = aud.page
    assert aud.nav() == ["Overview", "Budget", "Audit log"]
    aud.check("overview")
    assert page.locator("#datasets-h").count() == 0  # auditors do not see datasets
    for path in ("/query", "/results"):
        aud.go(f"/ui/c/{world.id}{path}", f"refused{path.replace('/', '-')}", status=403)
        assert "may not do this" in page.get_by_role("alert").inner_text()
    aud.go(f"/ui/c/{world.id}/audit", "audit")
    assert page.get_by_role("status").inner_text().startswith("Verified: OK: ")
    assert page.locator("table.audit").get_by_text("query.granted").count() >= 1
    aud.go(f"/ui/c/{world.id}/budget", "budget")
    assert page.locator("#budget-chart").count() == 1


def test_admin_sees_collaborations_and_sign_out_ends_the_session(visit: Any, served: Any) -> None:
    world: QueryWorld = served[1]
    admin = visit("admin")
    page = admin.page
    admin.check("home")
    page.keyboard.press("Tab")  # the first stop skips to the content
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.get_by_role("link", name="q").click()
    page.wait_for_url(re.compile(rf".*/ui/c/{world.id}$"))
    assert admin.nav() == ["Overview", "Audit log"]
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r".*/ui/login$"))
    admin.go(f"/ui/c/{world.id}/audit", "after-sign-out")
    assert page.url.endswith("/ui/login")


def test_forms_need_the_session_csrf_token_and_errors_are_pages(visit: Any, served: Any) -> None:
    world: QueryWorld = served[1]
    ana = visit("ana")
    forged = ana.page.request.post(
        f"{ana.base}/ui/c/{world.id}/query", form={"template": "overlap", "csrf": "forged"}
    )
    assert forged.status == 403 and "expired" in forged.text()
    assert "text/html" in forged.headers["content-type"]
    missing = ana.go("/ui/c/col_nope", "unknown-collaboration", status=404)
    assert "default-src 'none'" in missing.headers["content-security-policy"]
    assert ana.page.get_by_role("alert").is_visible()


def test_the_watch_fails_a_request_that_leaves_loopback(browser: Any) -> None:
    watch = Watch()
    context = browser.new_context()
    watch.attach(context)
    page = context.new_page()
    page.set_content("<img src='http://192.0.2.1/pixel.png' alt=''>")  # TEST-NET-1
    page.wait_for_load_state("load")
    context.close()
    assert watch.outside == ["http://192.0.2.1/pixel.png"]
    with pytest.raises(AssertionError, match="left loopback"):
        watch.assert_clean()
