"""The report page: self-contained and escaped, every result shown (a template with no
section of its own too), the summary of who beat their holdout, the match rate, the
plan and the privacy terms."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reports import Limits, Number, Style, plan_budget, read_result
from reports.page import ReportContext, render_report, write_report
from reports.released import Released
from reports.sections import SECTIONS
from reports.summary import holdout_summary, match_rate
from tests.unit.reports.results import conversions, reply, roas_row, row


def overlap() -> Released:
    rows = [
        row("matched", {"users": [400.0, 390.0, 410.0]}),
        row("exposures", {"users": [1000.0, 990.0, 1010.0]}),
        row("purchases", {"users": [3000.0, 2990.0, 3010.0]}),
    ]
    return read_result(reply("overlap", ["users"], rows, ("population",)))


def lift() -> Released:
    columns = ["exposed_rate", "holdout_rate", "absolute_lift"]
    rows = [
        row("<up>", {"exposed_rate": [0.2, 0.18, 0.22], "holdout_rate": [0.1, 0.08, 0.12],
                     "absolute_lift": [0.1, 0.07, 0.13]}),
        row("down", {"exposed_rate": [0.1, 0.08, 0.12], "holdout_rate": [0.2, 0.18, 0.22],
                     "absolute_lift": [-0.1, -0.13, -0.07]}),
        row("flat", {"exposed_rate": [0.1, 0.05, 0.15], "holdout_rate": [0.1, 0.05, 0.15],
                     "absolute_lift": [0.0, -0.07, 0.07]}),
        row("hidden", None),
    ]  # fmt: skip
    return read_result(reply("lift", columns, rows))


def basket() -> Released:
    """A template the reports have no section for (it lands after them)."""
    columns = ["step_users", "step_rate"]
    rows = [
        row(["cmp-1", "matched"], {"step_users": [500, 480, 520], "step_rate": [0.5, 0.45, 0.55]}),
        row(["cmp-1", "repeat"], {"step_users": [50, 30, 70], "step_rate": [0.1, 0.06, 0.14]}),
    ]
    return read_result(reply("basket", columns, rows, ("campaign", "step"), result_id="res_fun"))


def test_match_rate_divides_the_interval_ends() -> None:
    found = match_rate(overlap())
    assert found is not None
    people, share = found
    assert people == Number(400.0, 390.0, 410.0)
    assert share.value == pytest.approx(0.4)
    assert share.low == pytest.approx(390 / 1010) and share.high == pytest.approx(410 / 990)


def test_holdout_summary_needs_an_interval_excluding_zero() -> None:
    summary = holdout_summary(lift())
    assert summary.beat == ("<up>",) and summary.below == ("down",)
    assert summary.undecided == ("flat",) and summary.withheld == ("hidden",)


def page(style: Style | None = None) -> str:
    spend = conversions(
        roas_row("<up>", 30_000, 10_000, 2_000), roas_row("down", 5_000, 10_000, 2_000)
    )
    results = [overlap(), spend, lift(), basket()]
    plan = plan_budget([spend], Limits(0.2))
    context = ReportContext("Results & more", "now", "test", ("a note <b>",), (("k", "10"),))
    return render_report(results, style or Style(), plan, context)


def test_the_page_is_self_contained_and_escaped() -> None:
    text = page()
    assert text.startswith("<!DOCTYPE html>") and text.endswith("</html>")
    assert "<script" not in text and "<link" not in text and "@import" not in text
    assert not re.search(r"(src|href)\s*=", text)
    assert set(re.findall(r"https?://[^'\" ]+", text)) <= {"http://www.w3.org/2000/svg"}
    assert "&lt;up&gt;" in text and "<up>" not in text and "a note &lt;b&gt;" in text
    assert "Results &amp; more" in text


def test_every_result_shows_and_an_unknown_template_gets_tables_and_charts() -> None:
    text = page()
    for result_id in ("res_overlap", "res_conv", "res_lift", "res_fun"):
        assert f"id='{result_id}'" in text
    assert "basket" not in SECTIONS
    fun = text[text.index("id='res_fun'") :]
    assert "<th>step users</th>" in fun and "Step rate per group" in fun
    assert "cmp-1 / repeat" in fun and "50 [30, 70]" in fun


def test_summary_plan_and_privacy_terms_are_on_the_page() -> None:
    text = page(Style("JPY", "ja-JP"))
    assert "Match rate: 40.0% [38.6%, 41.4%]" in text
    assert "Beat their holdout (lift interval above zero): 1 of 4 campaigns: &lt;up&gt;." in text
    assert "Next period's budget: reallocation plan" in text
    assert "JPY 12,000" in text and "JPY 8,000" in text  # the plan, whole yen
    assert "Epsilon spent by the results shown: 2/1 (2) in all." in text
    assert "discrete laplace" in text and "<td>k</td><td>10</td>" in text


def test_write_report_replaces_the_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("old", encoding="utf-8")
    assert write_report(target, "new") == target
    assert target.read_text(encoding="utf-8") == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]
    with pytest.raises(FileNotFoundError):
        write_report(tmp_path / "missing" / "r.html", "x")
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def _svg_titles(text: str) -> list[str]:
    return re.findall(r"<svg [^>]*aria-label='([^']*)'", text)


def test_an_attribution_comparison_draws_the_models_side_by_side() -> None:
    models = ["last_touch", "linear"]
    columns = ["exposed_users"] + [
        f"{m}.{s}" for m in models for s in ("credited_conversions", "credited_revenue", "roas")
    ]
    values = {c: [10.0, 8.0, 12.0] for c in columns}
    compared = read_result(reply("conversions", columns, [row("cmp-1", values)]))
    text = render_report([compared], Style())
    assert "attribution models compared" in text
    assert _svg_titles(text)[:3] == [
        "Credited conversions per campaign, by model",
        "Credited revenue per campaign, by model",
        "ROAS per campaign, by model",
    ]
    first = text[text.index("Credited conversions per campaign") :].split("</svg>")[0]
    assert "last touch (released, 95% interval)" in first and "linear (released" in first
    assert "<th>linear credited revenue</th>" in text and "USD 10.00 [USD 8.00" in text


def test_the_closed_loop_templates_have_their_own_sections() -> None:
    rf = read_result(
        reply(
            "reach_frequency",
            ["users", "converted", "conversion_rate"],
            [
                row(
                    ["cmp-1", "1"],
                    {
                        "users": [500, 480, 520],
                        "converted": [50, 40, 60],
                        "conversion_rate": [0.1, 0.08, 0.12],
                    },
                ),
            ],
            ("campaign", "frequency"),
            result_id="res_rf",
        )
    )
    ttc = read_result(
        reply(
            "time_to_conversion",
            ["purchases", "campaign_purchases", "share"],
            [
                row(
                    ["cmp-1", "0-1h"],
                    {
                        "purchases": [20, 10, 30],
                        "campaign_purchases": [100, 90, 110],
                        "share": [0.2, 0.1, 0.3],
                    },
                ),
            ],
            ("campaign", "delay"),
            result_id="res_ttc",
        )
    )
    stages = ["exposed", "matched", "converted", "repeated"]
    rates = ["match_rate", "conversion_rate", "repeat_rate", "exposed_conversion_rate"]
    values = {c: [100.0, 90.0, 110.0] for c in stages} | {c: [0.5, 0.4, 0.6] for c in rates}
    fun = read_result(reply("funnel", stages + rates, [row("cmp-1", values)], result_id="res_f"))
    text = render_report([rf, ttc, fun], Style())
    assert _svg_titles(text)[:2] == [
        "Conversion rate by campaign and frequency",
        "Exposed people per frequency bucket",
    ]
    assert "Share of purchases by delay" in _svg_titles(text)
    assert {"People at each funnel stage", "Step rates of the funnel"} <= set(_svg_titles(text))
    assert (
        "Match rate per campaign (exposed people who bought anything at the retailer): "
        "cmp-1 50.0% [40.0%, 60.0%] (result res_f)." in text
    )
    assert "<th>match rate</th>" in text and "cmp-1 / 0-1h" in text
