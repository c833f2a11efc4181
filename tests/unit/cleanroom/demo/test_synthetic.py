"""The demo's synthetic world is deterministic, messy where it should be, and consistent."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cleanroom.demo.synthetic import DemoSpec, generate

SMALL = DemoSpec(people=2_000, seed=3)


def _generate(root: Path) -> dict[str, pd.DataFrame]:
    files = generate(SMALL, root / "brand", root / "retailer", root / "truth")
    return {
        "exposures": pd.read_csv(files.exposures, keep_default_na=False),
        "purchases": pd.read_csv(files.purchases, keep_default_na=False),
        "spend": pd.read_csv(files.spend),
        "truth_exposures": pd.read_parquet(files.truth_exposures),
        "truth_purchases": pd.read_parquet(files.truth_purchases),
    }


def test_same_seed_same_files(tmp_path: Path) -> None:
    one, two = _generate(tmp_path / "a"), _generate(tmp_path / "b")
    for name, frame in one.items():
        pd.testing.assert_frame_equal(frame, two[name], check_exact=True)


def test_files_are_messy_and_aligned_with_truth(tmp_path: Path) -> None:
    data = _generate(tmp_path)
    exposures, purchases = data["exposures"], data["purchases"]
    assert len(exposures) == len(data["truth_exposures"])
    assert len(purchases) == len(data["truth_purchases"])
    emails = exposures["email"]
    assert (emails.str.strip() != emails).any(), "some emails are padded"
    assert (emails.str.upper() == emails).any(), "some emails are upper case"
    assert (exposures["email_sha256"].str.len() == 64).mean() > 0.05
    assert purchases["mobile"].str.startswith("(").any()
    assert purchases["mobile"].str.startswith("+1").any()
    assert 0.05 < exposures["is_holdout"].mean() < 0.15
    assert exposures["campaign"].nunique() == SMALL.campaigns == len(data["spend"])
    assert purchases["order_total"].max() > 10 * purchases["order_total"].median()


def test_truth_stays_out_of_the_party_folders(tmp_path: Path) -> None:
    _generate(tmp_path)
    for party in ("brand", "retailer"):
        names = {p.name for p in (tmp_path / party).iterdir()}
        assert not any("truth" in name for name in names)
        assert "person" not in pd.read_csv(next((tmp_path / party).glob("*.csv"))).columns
