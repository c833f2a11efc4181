from __future__ import annotations

import csv
import io
from typing import Any

from cleanroom.console.render import epsilon, when
from cleanroom.console.views import nav_for, result_csv, result_view
from cleanroom.storage.models import Role


def stored(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": "res_1",
        "template": "conversions",
        "rows_suppressed": sum(r["suppressed"] for r in rows),
        "result": {
            "key_columns": ["campaign_id"],
            "value_columns": ["converted_users", "conversion_rate", "revenue"],
            "k": 10,
            "rows": rows,
        },
    }


ROWS = [
    {
        "key": ["cmp-1"],
        "values": {
            "converted_users": [1234.0, 1100.0, 1400.0],
            "conversion_rate": [0.125, 0.1, 0.15],
            "revenue": [25_000.0, 20_000.0, 30_000.0],
        },
        "suppressed": False,
        "remainder": False,
    },
    {
        "key": ["=HYPERLINK(1)"],
        "values": {"converted_users": None, "conversion_rate": None, "revenue": None},
        "suppressed": True,
        "remainder": False,
    },
]


def test_numbers_read_as_counts_percent_and_money_with_intervals() -> None:
    view = result_view(stored(ROWS))
    first, second = view.rows
    assert [c.text for c in first.cells] == ["1,234", "12.5%", "$25.0k"]
    assert first.cells[1].interval == "10.0% to 15.0%"
    assert second.suppressed and {c.text for c in second.cells} == {"suppressed"}
    assert view.headings == ["converted users", "conversion rate", "revenue"]
    assert len(view.charts) == 3 and "suppressed (group below the threshold)" in view.charts[0]
    assert "true value" not in view.charts[0]  # no truth is known outside the demo


def test_a_column_with_nothing_released_draws_no_chart() -> None:
    assert result_view(stored(ROWS[1:])).charts == []


def test_csv_has_value_low_high_and_never_a_formula() -> None:
    rows = list(csv.reader(io.StringIO(result_csv(stored(ROWS)))))
    assert rows[0][:4] == ["campaign_id", "suppressed", "remainder", "converted_users"]
    assert rows[1][:6] == ["cmp-1", "false", "false", "1234.0", "1100.0", "1400.0"]
    assert rows[2][0] == "'=HYPERLINK(1)" and rows[2][1] == "true" and rows[2][3] == ""


def test_navigation_follows_the_role() -> None:
    labels = {role: [label for label, _ in nav_for(role, "col_1")] for role in Role}
    assert labels[Role.AUDITOR] == ["Overview", "Budget", "Audit log"]
    assert labels[Role.ANALYST] == ["Overview", "Results", "Run a query", "Budget"]
    assert labels[Role.ADMIN] == ["Overview", "Audit log"]


def test_times_and_epsilons_read_plainly() -> None:
    assert when("2026-12-01T09:16:00Z") == "2026-12-01 09:16 UTC"
    assert epsilon("1/4") == "1/4" and epsilon("1") == "1" and epsilon("333/1000") == "0.333"


def test_unbounded_interval_ends_read_as_infinity_and_stay_empty_in_csv() -> None:
    row = dict(ROWS[0], values={**ROWS[0]["values"], "converted_users": [-3.0, None, 40.0]})
    cell = result_view(stored([row])).rows[0].cells[0]
    assert cell.text == "< 0, not significant" and cell.interval == "-∞ to 40"
    line = list(csv.reader(io.StringIO(result_csv(stored([row])))))[1]
    assert line[3:6] == ["-3.0", "", "40.0"]
