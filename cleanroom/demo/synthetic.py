"""Synthetic brand and retailer data with a known ground truth.

The people, their identifiers and their behaviour are invented with a seeded generator.
Identifiers carry real-world mess (case, spaces, phone formats, invalid values, some
brand rows holding only the SHA-256 of the email). The person id behind every row is
written to a separate truth file the parties never upload, so the demo can show the
true value next to every released number.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

CHANNELS = ("search", "social", "display", "video", "ctv")
CATEGORIES = ("grocery", "beauty", "home", "electronics", "apparel")
FIRST_NAMES = ("ana", "ben", "chloe", "dev", "emma", "femi", "gus", "hana", "ivan", "jo")
DOMAINS = ("example.com", "gmail.com", "mail.example.org", "shop.example.net", "yahoo.example")
START = 1_767_225_600  # 2026-01-01T00:00:00Z
DAY = 86_400


def campaign_ids(count: int) -> tuple[str, ...]:
    """The demo's campaign ids; the demo policy declares exactly these as group keys."""
    return tuple(f"cmp-{c:02d}" for c in range(count))


@dataclass(frozen=True)
class DemoSpec:
    """Sizes and effect sizes of the synthetic world."""

    people: int = 400_000
    campaigns: int = 20
    brand_reach: float = 0.6  # share of people the brand reaches
    retailer_reach: float = 0.5  # share of people who shop at the retailer
    holdout_share: float = 0.10
    base_conversion: float = 0.25  # weekly purchase rate of a shopper without exposure
    exposed_uplift: float = 0.12  # chance an exposure adds a purchase within 7 days
    days: int = 28
    invalid_share: float = 0.005  # share of emails and of phones written unreadably
    seed: int = 7


@dataclass(frozen=True)
class DemoFiles:
    exposures: Path
    purchases: Path
    spend: Path
    truth_exposures: Path
    truth_purchases: Path


def _emails(rng: np.random.Generator, n: int) -> np.ndarray:
    names = rng.choice(FIRST_NAMES, n)
    domains = rng.choice(DOMAINS, n, p=[0.3, 0.35, 0.15, 0.1, 0.1])
    return np.array([f"{a}.{i}@{d}" for i, (a, d) in enumerate(zip(names, domains, strict=True))])


def _phones(rng: np.random.Generator, n: int) -> np.ndarray:
    exchange = rng.integers(200, 999, n)
    line = rng.integers(0, 10_000, n)
    area = rng.choice(np.array([415, 212, 617, 312, 206]), n)
    return np.array([f"{a}{e:03d}{x:04d}" for a, e, x in zip(area, exchange, line, strict=True)])


def _messy_email(rng: np.random.Generator, emails: pd.Series, invalid: float) -> pd.Series:
    """Random case, surrounding spaces, a share ``invalid`` of broken values."""
    upper = rng.random(len(emails)) < 0.3
    padded = rng.random(len(emails)) < 0.2
    broken = rng.random(len(emails)) < invalid
    out = emails.where(~upper, emails.str.upper())
    out = out.where(~padded, "  " + out + " ")
    return out.where(~broken, out.str.replace("@", " at ", regex=False))


def _messy_phone(rng: np.random.Generator, digits: pd.Series, invalid: float) -> pd.Series:
    """The same US numbers written four ways, a share ``invalid`` too short to be valid."""
    style = rng.integers(0, 4, len(digits))
    formats = [
        "(" + digits.str[:3] + ") " + digits.str[3:6] + "-" + digits.str[6:],
        "+1 " + digits.str[:3] + " " + digits.str[3:6] + " " + digits.str[6:],
        digits.str[:3] + "." + digits.str[3:6] + "." + digits.str[6:],
        "1" + digits,
    ]
    out = formats[0]
    for k in range(1, 4):
        out = out.where(style != k, formats[k])
    broken = rng.random(len(digits)) < invalid
    return out.where(~broken, digits.str[:5])


def generate(spec: DemoSpec, brand_dir: Path, retailer_dir: Path, truth_dir: Path) -> DemoFiles:
    """Write the brand's and the retailer's raw files, and the truth files."""
    rng = np.random.default_rng(spec.seed)
    people = pd.DataFrame(
        {"person": np.arange(spec.people), "email": _emails(rng, spec.people)}
    ).assign(phone=_phones(rng, spec.people))
    reached = people[rng.random(spec.people) < spec.brand_reach].copy()
    reached["holdout"] = rng.random(len(reached)) < spec.holdout_share
    exposures = _exposures(rng, spec, reached)
    purchases = _purchases(rng, spec, people, exposures)
    spend = pd.DataFrame(
        {
            "campaign_id": list(campaign_ids(spec.campaigns)),
            "spend": np.round(rng.uniform(2_000, 20_000, spec.campaigns), 2),
        }
    )
    for folder in (brand_dir, retailer_dir, truth_dir):
        folder.mkdir(parents=True, exist_ok=True)
    files = DemoFiles(
        exposures=brand_dir / "exposures.csv",
        purchases=retailer_dir / "purchases.csv",
        spend=brand_dir / "spend.csv",
        truth_exposures=truth_dir / "exposures_truth.parquet",
        truth_purchases=truth_dir / "purchases_truth.parquet",
    )
    _write_brand(rng, exposures, files.exposures, spec.invalid_share)
    _write_retailer(rng, purchases, files.purchases, spec.invalid_share)
    spend.to_csv(files.spend, index=False)
    exposures[["person", "campaign_id", "channel", "exposure_time", "holdout"]].to_parquet(
        files.truth_exposures
    )
    purchases[["person", "purchase_time", "amount", "category"]].to_parquet(files.truth_purchases)
    return files


def _exposures(rng: np.random.Generator, spec: DemoSpec, reached: pd.DataFrame) -> pd.DataFrame:
    counts = rng.integers(1, 6, len(reached))
    rows = reached.loc[reached.index.repeat(counts)].reset_index(drop=True)
    campaign = rng.integers(0, spec.campaigns, len(rows))
    rows["campaign_id"] = np.array(campaign_ids(spec.campaigns))[campaign]
    rows["channel"] = np.array(CHANNELS)[campaign % len(CHANNELS)]
    rows["exposure_time"] = START + rng.integers(0, spec.days * DAY, len(rows))
    return rows


def _purchases(
    rng: np.random.Generator, spec: DemoSpec, people: pd.DataFrame, exposures: pd.DataFrame
) -> pd.DataFrame:
    shoppers = people[rng.random(len(people)) < spec.retailer_reach]
    baseline_n = rng.poisson(spec.base_conversion * spec.days / 7, len(shoppers))
    base = shoppers.loc[shoppers.index.repeat(baseline_n)].reset_index(drop=True)
    base["purchase_time"] = START + rng.integers(0, (spec.days + 7) * DAY, len(base))
    treated = exposures[~exposures["holdout"] & exposures["person"].isin(shoppers["person"])]
    first_touch = treated.sort_values("exposure_time").drop_duplicates("person")
    lifted = first_touch[rng.random(len(first_touch)) < spec.exposed_uplift].copy()
    lifted["purchase_time"] = lifted["exposure_time"] + rng.integers(600, 7 * DAY, len(lifted))
    lifted = lifted[["person", "email", "phone", "purchase_time"]]
    rows = pd.concat([base[["person", "email", "phone", "purchase_time"]], lifted])
    rows = rows.sort_values("purchase_time").reset_index(drop=True)
    rows["amount"] = np.round(rng.lognormal(3.3, 0.9, len(rows)), 2)
    rows["category"] = rng.choice(CATEGORIES, len(rows))
    return rows


def _iso(epoch: pd.Series) -> pd.Series:
    return pd.to_datetime(epoch, unit="s", utc=True).dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _write_brand(
    rng: np.random.Generator, exposures: pd.DataFrame, path: Path, invalid: float
) -> None:
    """Brand file: raw email, or only its SHA-256 (15% of people), and a phone."""
    hashed_only = rng.random(len(exposures)) < 0.15
    email_sha = exposures["email"].map(lambda e: hashlib.sha256(e.encode()).hexdigest())
    out = pd.DataFrame(
        {
            "email": _messy_email(rng, exposures["email"], invalid).where(~hashed_only, ""),
            "email_sha256": email_sha.where(hashed_only, ""),
            "phone": _messy_phone(rng, exposures["phone"], invalid),
            "campaign": exposures["campaign_id"],
            "channel": exposures["channel"],
            "seen_at": _iso(exposures["exposure_time"]),
            "is_holdout": exposures["holdout"],
        }
    )
    out.to_csv(path, index=False)


def _write_retailer(
    rng: np.random.Generator, purchases: pd.DataFrame, path: Path, invalid: float
) -> None:
    out = pd.DataFrame(
        {
            "customer_email": _messy_email(rng, purchases["email"], invalid),
            "mobile": _messy_phone(rng, purchases["phone"], invalid),
            "order_ts": _iso(purchases["purchase_time"]),
            "order_total": purchases["amount"],
            "category": purchases["category"],
        }
    )
    out.to_csv(path, index=False)
