"""How ``party-agent query`` shows released numbers: unclamped values, unbounded ends."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from party_agent import results
from party_agent.cli import app, main
from party_agent.commands.query import _cell
from reports.style import Style

WIDE = Style(wide=True)


def test_a_negative_count_reads_not_significant_and_keeps_its_interval() -> None:
    assert _cell([-3.0, -17.0, 11.0], False, "exposed_converted") == (
        "< 0, not significant [dim][-17, 11][/dim]"
    )
    assert _cell([-0.02, -0.05, 0.01], False, "absolute_lift").startswith("-2.0 pp ")
    assert _cell([-0.02, -0.05, 0.01], False, "absolute_lift", WIDE).startswith("-0.02 ")


def test_a_null_end_is_unbounded() -> None:
    assert _cell([0.5, -0.2, None], False, "relative_lift") == "+50% [dim][-20%, ∞][/dim]"
    assert _cell([0.5, -0.2, None], False, "relative_lift", WIDE) == "0.5 [dim][-0.2, ∞][/dim]"
    assert _cell(None, True, "users") == "[dim]suppressed[/dim]"


def test_dataframes_read_a_null_end_as_infinite() -> None:
    reply = {
        "key_columns": ["campaign"],
        "value_columns": ["relative_lift"],
        "rows": [
            {
                "key": ["a"],
                "values": {"relative_lift": [0.5, -0.2, None]},
                "suppressed": False,
                "remainder": False,
            }
        ],
    }
    frame = results.to_dataframe(reply)
    assert frame.loc[0, "relative_lift_high"] == math.inf
    assert frame.loc[0, "relative_lift"] == 0.5


def test_a_malformed_window_is_a_usage_error_before_anything_is_sent(tmp_path: Path) -> None:
    args = ["query", "lift", "--home", str(tmp_path), "--exposures", "e", "--purchases", "p"]
    result = CliRunner().invoke(app, [*args, "--window", "7x"], env={"COLUMNS": "200"})
    assert result.exit_code == 2
    assert "write a whole number and a unit (s, m, h, d or w)" in result.stderr
    result = CliRunner().invoke(app, [*args, "--window", "7d"])
    assert result.exit_code == 2 and "is not a party home" in result.stderr  # got past it


def test_main_prints_the_window_error_as_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["query", "conversions", "--home", str(tmp_path), "--exposures", "e"]
    monkeypatch.setattr("sys.argv", ["party-agent", *args, "--purchases", "p", "--window", "1y"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    assert capsys.readouterr().err == (
        "error: Invalid value for '--window': write a whole number and a unit "
        "(s, m, h, d or w), such as \"7d\", got '1y'\n"
    )
