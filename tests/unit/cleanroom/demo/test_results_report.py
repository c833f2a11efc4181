"""Released numbers paired with the truth, pooled across campaigns, and rendered: tables,
inline SVG charts and the self-contained results page (escaped, no scripts)."""

from __future__ import annotations

import math
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

import policies
from cleanroom.demo.pooling import pooled, pooled_lift
from cleanroom.demo.released import Released, Row, attach_truth
from cleanroom.demo.results_report import DemoReport, demo_plan, render_results
from cleanroom.demo.tables import print_results
from reports import Number, Series, interval_chart


def reply(template: str, keys: list[str], columns: list[str], rows: list[Any]) -> dict[str, Any]:
    return {
        "id": f"res_{template}",
        "template": template,
        "requested_by": "brand:mem_1",
        "epsilon": "1/2",
        "digest": "ab" * 32,
        "result": {
            "key_columns": keys,
            "value_columns": columns,
            "k": 50,
            "rows_suppressed": sum(1 for row in rows if row["suppressed"]),
            "rows": rows,
        },
    }


def row(key: list[str], values: dict[str, Any] | None) -> dict[str, Any]:
    return {"key": key, "values": values or {}, "suppressed": values is None, "remainder": False}


LIFT_COLUMNS = ["exposed_rate", "holdout_rate", "absolute_lift"]


def lift_reply() -> dict[str, Any]:
    return reply(
        "lift",
        ["campaign"],
        LIFT_COLUMNS,
        [
            row(
                ["<cmp-a>"],
                {
                    "exposed_rate": [0.12, 0.11, 0.13],
                    "holdout_rate": [0.1, 0.06, 0.14],
                    "absolute_lift": [0.02, -0.02, 0.06],
                },
            ),
            row(
                ["cmp-b"],
                {
                    "exposed_rate": [0.1, 0.09, 0.11],
                    "holdout_rate": [0.08, 0.06, 0.1],
                    "absolute_lift": [0.02, 0.0, 0.04],
                },
            ),
            row(["cmp-c"], None),
        ],
    )


def results() -> dict[str, Released]:
    truth = {
        ("<cmp-a>",): {"exposed_rate": 0.125, "holdout_rate": 0.1, "absolute_lift": 0.025},
        ("cmp-b",): {"exposed_rate": 0.1, "holdout_rate": 0.07, "absolute_lift": 0.03},
        ("cmp-c",): {"exposed_rate": 0.1, "holdout_rate": 0.1, "absolute_lift": 0.0},
    }
    conversions = reply(
        "conversions",
        ["campaign"],
        ["converted_users", "roas"],
        [
            row(["<cmp-a>"], {"converted_users": [120.0, 100.0, 140.0], "roas": [2.0, 1.5, 2.5]}),
            row(["cmp-b"], None),
        ],
    )
    overlap = reply("overlap", ["population"], ["users"], [row(["matched"], {"users": [9, 8, 10]})])
    return {
        "overlap": attach_truth(overlap, {("matched",): {"users": 9.5}}),
        "conversions": attach_truth(conversions, {("<cmp-a>",): {"converted_users": 130.0}}),
        "lift": attach_truth(lift_reply(), truth),
    }


def test_truth_is_attached_by_key_and_suppressed_rows_keep_no_number() -> None:
    lift = results()["lift"]
    first, _, third = lift.rows
    assert first.numbers["absolute_lift"] == Number(0.02, -0.02, 0.06, 0.025)
    assert first.numbers["absolute_lift"].covered is True
    assert third.suppressed and third.numbers["exposed_rate"] == Number(None, None, None, 0.1)
    assert lift.requested_by == "brand" and lift.rows_suppressed == 1
    assert lift.to_json()["rows"][2]["values"]["exposed_rate"]["value"] is None


def test_pooling_is_the_plain_mean_and_skips_suppressed_rows() -> None:
    lift = results()["lift"]
    number = pooled(lift.rows, "absolute_lift")
    assert number is not None and number.value is not None and number.low is not None
    assert number.value == pytest.approx((0.02 + 0.02) / 2)
    assert number.truth == pytest.approx((0.025 + 0.03) / 2)  # the same campaigns' truth
    # standard errors 0.04 / z and 0.02 / z: the mean's is their root sum of squares / 2
    assert number.value - number.low == pytest.approx(math.sqrt(0.04**2 + 0.02**2) / 2)
    assert set(pooled_lift(lift.rows)) == set(LIFT_COLUMNS)
    assert pooled(lift.rows[2:], "absolute_lift") is None


def test_chart_marks_suppressed_groups_and_escapes_labels() -> None:
    svg = interval_chart(
        "t<1>", ["<x>", "y"], [Series("s&p", "#000", [Number(1, 0, 2, 1.5), None])], str
    )
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "&lt;x&gt;" in svg and "<x>" not in svg and "s&amp;p" in svg
    assert "suppressed" in svg and "<script" not in svg


POLICY = (Path(policies.__file__).parent / "presets" / "standard.yaml").read_text("utf-8")


def test_results_page_is_the_shared_report_with_truth_pooled_row_and_bounds() -> None:
    released = results()
    report = DemoReport("demo <c>", "now", ("note & more",), POLICY)
    plan = demo_plan(released["conversions"])
    assert plan is None  # no spend can be read back: cmp-a's revenue is not released
    page = render_results(released, pooled_lift(released["lift"].rows), report, plan)
    assert page.startswith("<!DOCTYPE html>") and page.endswith("</html>")
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org", "")
    assert "&lt;cmp-a&gt;" in page and "<cmp-a>" not in page and "note &amp; more" in page
    assert "suppressed" in page and "all campaigns (pooled)" in page
    assert "true 130" in page  # the truth under each released cell
    assert "cleanroom demo" in page and "amount per purchase (capped at)" in page
    assert "Beat their holdout (lift interval above zero): 0 of 3 campaigns" in page


def test_the_demo_plan_reads_spend_back_from_the_released_roas() -> None:
    conversions = attach_truth(
        reply(
            "conversions",
            ["campaign"],
            ["revenue", "roas"],
            [
                row(["a"], {"revenue": [3000.0, 2500.0, 3500.0], "roas": [3.0, 2.5, 3.5]}),
                row(["b"], {"revenue": [1000.0, 500.0, 1500.0], "roas": [1.0, 0.5, 1.5]}),
            ],
        ),
        {},
    )
    plan = demo_plan(conversions)
    assert plan is not None
    assert [(r.current_spend, r.suggested_spend) for r in plan.rows] == [(1000, 1200), (1000, 800)]


def test_console_tables_show_interval_truth_and_suppressed_marker() -> None:
    out = StringIO()
    released = results()
    console = Console(file=out, width=160)
    reports = {"results report": "r.html", "compliance report": None}
    print_results(
        released,
        pooled_lift(released["lift"].rows),
        "OK: 3 entries",
        reports,
        ["the note"],
        console,
    )
    text = out.getvalue()
    assert "120 [100, 140]" in text and "130" in text
    assert "2.00x [1.50x, 2.50x]" in text
    assert "suppressed" in text and "all (pooled)" in text
    assert "Audit log: OK: 3 entries" in text and "results report: r.html" in text
    assert "compliance report" not in text


def test_a_clamped_interval_counts_with_its_wider_side() -> None:
    rows = [
        Row(("a",), False, False, {"rate": Number(0.01, 0.0, 0.04, None)}),  # clamped at 0
        Row(("b",), False, False, {"rate": Number(0.05, 0.02, 0.08, None)}),
    ]
    number = pooled(rows, "rate")
    assert number is not None and number.value == pytest.approx(0.03)
    assert number.high is not None and number.high - 0.03 == pytest.approx(0.03 * math.sqrt(2) / 2)
    assert number.truth is None
