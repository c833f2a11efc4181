"""The compliance report is one self-contained page whose tables hold the logged facts."""

from __future__ import annotations

import shutil
import subprocess
from datetime import datetime
from fractions import Fraction
from html.parser import HTMLParser
from pathlib import Path

import pytest

from cleanroom.audit import GENESIS_HASH, AuditRecord, seal_entry
from cleanroom.audit.report import PolicyVersion, ReportInput, render_report
from tests.unit.cleanroom.audit.test_verify import KEY


class _Page(HTMLParser):
    """Collects table cells by table id, tags seen and every URL-bearing attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.tags: list[str] = []
        self.urls: list[str] = []
        self.polylines: list[dict[str, str | None]] = []
        self._table: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        named = dict(attrs)
        self.urls += [v for k, v in attrs if k in ("src", "href") and v]
        if tag == "table":
            self._table = named.get("id") or "?"
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
        elif tag == "polyline":
            self.polylines.append(named)

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._table and self.tables[self._table] and data.strip():
            self.tables[self._table][-1].append(data.strip())


def _entries() -> list[AuditRecord]:
    raw = [
        ("collaboration.created", "admin", "ok", None, None),
        ("query.granted", "analyst@brand", "ok", "1/2", {"template": "overlap"}),
        ("query.denied", "analyst@brand", "denied", None, {"template": "lift", "reason": "k"}),
        ("query.granted", "analyst@brand", "ok", "1/4", {"template": "conversions"}),
    ]
    out, prev = [], GENESIS_HASH
    for seq, (action, actor, outcome, eps, details) in enumerate(raw, start=1):
        entry = AuditRecord(
            seq=seq,
            time=f"2026-11-0{seq}T10:00:00Z",
            actor=actor,
            action=action,
            collaboration="c<1>",
            outcome=outcome,
            epsilon_charged=eps,
            rows_suppressed=2 if eps else None,
            details=details,
        )
        sealed = seal_entry(entry, prev, KEY)
        out.append(sealed)
        prev = sealed.entry_hash
    return out


def _render() -> str:
    policy = PolicyVersion(
        version="2",
        policy_hash="ab" * 32,
        proposed_at="2026-11-01T09:00:00Z",
        description=["Groups under 50 people are never shown."],
        approvals=[("brand", "2026-11-01T09:10:00Z"), ("retailer", "2026-11-01T09:20:00Z")],
        changes=["k: 25 -> 50 (stricter)"],
    )
    return render_report(
        ReportInput(
            collaboration="c<1>",
            generated_at="2026-11-23T12:00:00Z",
            entries=_entries(),
            policies=[policy],
            budget_per_period=Fraction(1),
            period_start=lambda t: datetime(t.year, t.month, 1, tzinfo=t.tzinfo),
            verified="OK: 4 entries, chain and signatures verified",
        )
    )


def test_tables_hold_the_logged_queries_and_approvals() -> None:
    page = _Page()
    page.feed(_render())
    queries = page.tables["queries"][1:]
    assert [row[3] for row in queries] == ["overlap", "lift", "conversions"]
    assert [row[-1] for row in queries if "denied" in row] == ["k"]
    assert [row[0] for row in page.tables["approvals"][1:]] == ["brand", "retailer"]
    assert "k: 25 -> 50 (stricter)" in page.tables["policy-history"][1]


def test_chart_draws_spend_against_the_budget_and_page_is_self_contained() -> None:
    html = _render()
    page = _Page()
    page.feed(html)
    assert "script" not in page.tags and page.urls == []
    assert "svg" in page.tags and page.polylines
    points = (page.polylines[0]["points"] or "").split()
    assert len(points) == 1 + 2 * 2  # start, then two steps for two granted charges
    assert "c&lt;1&gt;" in html and "c<1>" not in html


def test_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("Chromium is not installed on this machine (apt install chromium)")
    page = tmp_path / "report.html"
    page.write_text(_render(), encoding="utf-8")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
    result = subprocess.run(
        [browser, *flags, "--enable-logging=stderr", "--v=0", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    assert "budget-chart" in result.stdout
    assert "Uncaught" not in result.stderr and "CONSOLE" not in result.stderr
