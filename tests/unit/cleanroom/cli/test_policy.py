"""``cleanroom policy check|diff|preset`` through Typer's CliRunner, on real files."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cleanroom.cli.policy import policy_app
from policies import policy_hash, preset, preset_yaml

runner = CliRunner()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_check_prints_plain_words_and_the_hash(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", preset_yaml("standard"))
    result = runner.invoke(policy_app, ["check", str(path)])
    assert result.exit_code == 0, result.output
    assert "released only when its noisy count of people is at least 50" in result.stdout
    assert f"policy hash (SHA-256): {policy_hash(preset('standard'))}" in result.stdout


def test_check_json(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", preset_yaml("strict"))
    result = runner.invoke(policy_app, ["check", str(path), "--json"])
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["valid"] is True
    assert report["kind"] == "policy"
    assert report["hash"] == policy_hash(preset("strict"))
    assert report["canonical"]["epsilon_choices"] == ["1/4"]
    assert report["description"][0] == "Policy `strict`, version 1."


def test_check_an_invalid_file_prints_one_error_line_and_exits_2(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", preset_yaml("standard").replace("k: 50", "k: 1"))
    result = runner.invoke(policy_app, ["check", str(path)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"error: invalid policy `standard` in {path}: "
        "k: must be a whole number of at least 2, got 1\n"
    )
    as_json = runner.invoke(policy_app, ["check", str(path), "--json"])
    assert as_json.exit_code == 2
    assert json.loads(as_json.stdout)["problems"] == [
        "k: must be a whole number of at least 2, got 1"
    ]


def test_check_party_rules_and_the_effective_policy(tmp_path: Path) -> None:
    rules = write(tmp_path, "r.yaml", "party: retailer\nversion: 3\nk: 80\n")
    alone = runner.invoke(policy_app, ["check", str(rules)])
    assert alone.exit_code == 0
    assert "Rules of retailer, version 3 (only these fields are set):" in alone.stdout
    policy = write(tmp_path, "p.yaml", preset_yaml("standard"))
    combined = runner.invoke(policy_app, ["check", str(policy), "--rules", str(rules)])
    assert combined.exit_code == 0
    assert "  k = 80 from the retailer's policy v3" in combined.stdout
    as_json = runner.invoke(policy_app, ["check", str(policy), "--rules", str(rules), "--json"])
    assert (
        "k = 80 from the retailer's policy v3"
        in json.loads(as_json.stdout)["effective"]["provenance"]
    )


def test_rules_need_a_policy_to_combine_with(tmp_path: Path) -> None:
    rules = write(tmp_path, "r.yaml", "party: retailer\nversion: 3\nk: 80\n")
    result = runner.invoke(policy_app, ["check", str(rules), "--rules", str(rules)])
    assert result.exit_code == 2
    assert result.stderr == "error: --rules needs a policy file, not party rules, as FILE\n"


def test_diff_table(tmp_path: Path) -> None:
    old = write(tmp_path, "old.yaml", preset_yaml("standard"))
    new = write(tmp_path, "new.yaml", preset_yaml("standard").replace("k: 50", "k: 20"))
    result = runner.invoke(policy_app, ["diff", str(old), str(new)])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if "minimum group size k" in line)
    assert [cell.strip() for cell in row.split("│")[1:5]] == [
        "minimum group size k",
        "50",
        "20",
        "looser",
    ]
    assert "Overall: looser. Every change widens what queries may do." in result.stdout


def test_diff_json_and_no_change(tmp_path: Path) -> None:
    old = write(tmp_path, "old.yaml", preset_yaml("standard"))
    new = write(tmp_path, "new.yaml", preset_yaml("strict"))
    payload = json.loads(runner.invoke(policy_app, ["diff", str(old), str(new), "--json"]).stdout)
    assert payload["overall"] == "stricter"
    assert {"field": "k", "old": "50", "new": "100", "change": "stricter"} in payload["changes"]
    same = runner.invoke(policy_app, ["diff", str(old), str(old)])
    assert "No rule changed" in same.stdout


def test_diff_of_an_invalid_file(tmp_path: Path) -> None:
    old = write(tmp_path, "old.yaml", preset_yaml("standard"))
    result = runner.invoke(policy_app, ["diff", str(old), str(tmp_path / "missing.yaml")])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: invalid file ")


def test_preset_prints_yaml_that_checks() -> None:
    result = runner.invoke(policy_app, ["preset", "strict"])
    assert result.stdout == preset_yaml("strict")
    unknown = runner.invoke(policy_app, ["preset", "lax"])
    assert unknown.exit_code == 2
    assert unknown.stderr == (
        "error: invalid policy: `lax` is not a preset; choose from standard, strict\n"
    )


def test_mounted_on_the_cleanroom_command(tmp_path: Path) -> None:
    from cleanroom.cli.main import app

    path = write(tmp_path, "p.yaml", preset_yaml("standard"))
    result = runner.invoke(app, ["policy", "check", str(path)])
    assert result.exit_code == 0
    assert result.stdout.startswith("Policy `standard`, version 1.\n")


def test_check_prints_the_noise_each_query_carries(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", preset_yaml("standard"))
    result = runner.invoke(policy_app, ["check", str(path), "--campaigns", "5"])
    assert result.exit_code == 0, result.output
    assert "Noise of one query spending epsilon 1/2 with 5 campaign(s)" in result.stdout
    # lift: one histogram, sensitivity min(20, 5) = 5 at epsilon 1/2 -> scale 10
    assert "lift         converted users per arm     sd 14.1 people, 95% ±30.0 people" in (
        result.stdout
    )
    # revenue: 5 purchases x $500 at epsilon 1/4 -> scale $10,000
    assert "revenue per group           sd 14,142.14 (currency)" in result.stdout
    report = json.loads(
        runner.invoke(policy_app, ["check", str(path), "--json", "--campaigns", "5"]).stdout
    )
    lift = [n for n in report["noise"] if n["template"] == "lift"]
    assert [n["statistic"] for n in lift] == [
        "converted users per arm",
        "users per arm",
        "converted per arm (spend)",
        "revenue per arm (spend)",
    ]
    # with a spend dataset: half the epsilon each; revenue min(20, 5) x 5 x $500 = $12,500
    # at epsilon 1/4 -> scale $50,000, sd sqrt(2) x 50,000
    assert "revenue per arm (spend)     sd 70,710.68 (currency)" in result.stdout


def test_check_compares_k_with_the_noise_of_each_thresholded_count(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", preset_yaml("standard"))
    report = json.loads(runner.invoke(policy_app, ["check", str(path), "--json"]).stdout)
    thresholded = [line for line in report["noise"] if line["thresholded"]]
    assert {line["template"] for line in thresholded} == {
        "overlap", "conversions", "attribution", "lift"
    }  # fmt: skip
    text = runner.invoke(policy_app, ["check", str(path)]).stdout
    for line in thresholded:
        ratio = 50 / line["half_width"]
        assert line["k_over_half_width"] == ratio
        assert (
            f"k = 50 is {ratio:.1f}x the 95% noise half-width (±{line['half_width']:,.0f}) "
            f"of {line['statistic']} in {line['template']}"
        ) in text
    assert "mostly by the noise" in text  # k = 50 is below the conversions noise
    loud = write(tmp_path, "k.yaml", preset_yaml("standard").replace("k: 50", "k: 5000"))
    assert "mostly by the noise" not in runner.invoke(policy_app, ["check", str(loud)]).stdout


def test_check_prints_the_gaussian_noise_of_a_zcdp_policy(tmp_path: Path) -> None:
    text = preset_yaml("standard") + "noise: {mechanism: gaussian, delta: 1e-9}\n"
    path = write(tmp_path, "p.yaml", text)
    result = runner.invoke(policy_app, ["check", str(path), "--campaigns", "5"])
    assert result.exit_code == 0, result.output
    assert "discrete Gaussian (zCDP, reported at delta 1/1000000000):" in result.stdout
    assert "every epsilon above holds with delta 0.000000001" in result.stdout
    # lift: L2 sqrt(5), rho(1/2, 1e-9) = 0.00395319: sigma = sqrt(5 / 0.00790638) = 25.1
    assert "lift         converted users per arm     sd 25.1 people, 95% ±50.0 people" in (
        result.stdout
    )
    plain = runner.invoke(
        policy_app, ["check", str(write(tmp_path, "q.yaml", preset_yaml("standard")))]
    )
    assert "discrete Laplace (pure DP):" in plain.stdout
