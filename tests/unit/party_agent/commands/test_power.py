"""``party-agent power`` offline, with a policy file."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from party_agent.cli import app
from policies import preset_yaml

runner = CliRunner()


def _policy(tmp_path: Path) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(preset_yaml("standard"), encoding="utf-8")
    return path


def test_power_prints_half_widths_and_the_detectable_lift(tmp_path: Path) -> None:
    args = ["power", "--policy", str(_policy(tmp_path)), "--audience", "5000,50000"]
    result = runner.invoke(app, [*args, "--lift", "0.3"])
    assert result.exit_code == 0, result.output
    assert "the budget allows 10 queries per calendar month" in result.stdout
    assert "campaign 1: 4,500 exposed, 500 holdout" in result.stdout
    assert "the expected lift is NOT detectable" in result.stdout
    assert "the expected lift is detectable" in result.stdout


def test_power_json(tmp_path: Path) -> None:
    args = ["power", "--policy", str(_policy(tmp_path)), "--audience", "8000", "--json"]
    result = runner.invoke(app, [*args, "--spend", "1000", "--epsilon", "1/4"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["epsilon"] == "1/4" and body["queries_per_period"] == 20
    names = {n["statistic"] for n in body["campaigns"][0]["numbers"]}
    assert "conversions.roas" in names


def test_power_refuses_bad_sizes(tmp_path: Path) -> None:
    args = ["power", "--policy", str(_policy(tmp_path)), "--audience", "8000,x"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "--audience must be comma-separated numbers" in result.output
    result = runner.invoke(app, ["power", "--audience", "100"])
    assert result.exit_code == 2 and "give --policy FILE or --home" in result.output
