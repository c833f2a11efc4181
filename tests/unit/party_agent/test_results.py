"""Result tables for people and notebooks: DataFrame columns, exports, the rich rendering."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from rich.console import Console

from party_agent import results
from party_agent.commands.query import render
from party_agent.errors import ConfigError, InputError
from reports.style import Style

NONE = {"exposed_users": None, "revenue": None}
REPLY: dict[str, Any] = {
    "id": "res_0123456789abcdef",
    "template": "conversions",
    "epsilon": "1/2",
    "digest": "ab" * 32,
    "reused": True,
    "epsilon_charged": "0/1",
    "budget": {"remaining": {"value": 4.5}, "period_end": "2026-12-01T00:00:00+00:00"},
    "result": {
        "key_columns": ["campaign", "channel"],
        "value_columns": ["exposed_users", "revenue"],
        "k": 50,
        "rows_suppressed": 1,
        "rows": [
            {
                "key": ["cmp-0", "search"],
                "values": {
                    "exposed_users": [1234.0, 1200.0, 1268.0],
                    "revenue": [99.5, 80.25, 118.0],
                },
                "suppressed": False,
                "remainder": False,
            },
            {"key": ["cmp-1", "social"], "values": NONE, "suppressed": True, "remainder": False},
            {
                "key": [None, None],
                "values": {"exposed_users": [77.0, 40.0, 114.0], "revenue": [5.0, 0.0, 40.5]},
                "suppressed": False,
                "remainder": True,
            },
        ],
    },
}


def test_dataframe_has_keys_then_value_low_high_then_flags() -> None:
    frame = results.to_dataframe(REPLY)
    assert list(frame.columns) == [
        "campaign", "channel",
        "exposed_users", "exposed_users_low", "exposed_users_high",
        "revenue", "revenue_low", "revenue_high",
        "suppressed", "remainder",
    ]  # fmt: skip
    assert frame.loc[0, "exposed_users_high"] == 1268.0
    assert math.isnan(frame.loc[1, "revenue"]) and bool(frame.loc[1, "suppressed"])
    assert bool(frame.loc[2, "remainder"]) and frame.loc[2, "exposed_users"] == 77.0
    assert results.to_dataframe(REPLY["result"]).equals(frame)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_exports_read_back_as_the_same_table(tmp_path: Path, suffix: str) -> None:
    path = results.export(REPLY, tmp_path / f"out{suffix}")
    back = pd.read_csv(path) if suffix == ".csv" else pd.read_parquet(path)
    expected = results.to_dataframe(REPLY)
    pd.testing.assert_frame_equal(
        back[["revenue", "suppressed"]], expected[["revenue", "suppressed"]]
    )


def test_bad_inputs_are_named() -> None:
    with pytest.raises(ConfigError, match=r"must end in \.csv or \.parquet"):
        results.export(REPLY, Path("out.xlsx"))
    with pytest.raises(InputError, match="not a clean-room result"):
        results.to_dataframe({"detail": "nope"})


def test_render_marks_suppressed_rows_and_intervals() -> None:
    console = Console(width=200, record=True)
    render(REPLY, console)
    text = console.export_text()
    assert "1,234 [1,200, 1,268]" in text and "99.50 [80.25, 118.00]" in text
    assert text.count("suppressed") >= 2 and "(remainder)" in text
    assert "1 group(s) suppressed (noisy user count below k=50)" in text
    assert "charged: nothing (identical query, stored result)" in text


def test_render_wide_shows_full_precision_and_a_currency_its_symbol() -> None:
    console = Console(width=200, record=True)
    render(REPLY, console, Style(wide=True))
    assert "99.5 [80.25, 118]" in console.export_text()
    console = Console(width=200, record=True)
    render(REPLY, console, Style("EUR"))
    assert "€99.50 [€80.25, €118.00]" in console.export_text()


def test_a_wide_table_fits_100_columns_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    names = ["exposed_users", "exposed_converted", "exposed_rate", "holdout_users",
             "holdout_converted", "holdout_rate", "absolute_lift", "relative_lift"]  # fmt: skip
    values = {name: [123456.0, 120000.5, 130000.25] for name in names}
    row = {"key": ["cmp-00"], "values": values, "suppressed": False, "remainder": False}
    reply = {**REPLY, "template": "lift", "result": {**REPLY["result"], "key_columns": ["campaign"],
             "value_columns": names, "rows": [row]}}  # fmt: skip
    render(reply)
    out = capsys.readouterr().out
    assert "123,456" in out
    assert max(len(line) for line in out.splitlines()) <= 100
