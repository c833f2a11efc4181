"""A Japanese brand's and retailer's own files, for the first-day end-to-end test (#15).

The brand's exposure log (UTF-8 CSV): Japanese column names, ad-server times with a
``+09:00`` offset, channel spelled ``CTV``/`` ctv``/``Search``/``search ``, Gmail
addresses with dots, phones in Japanese and US national format and UK numbers with
``+44``. The retailer's order export (Shift-JIS CSV): Japanese column names, JST wall
clock times without an offset (``2024/03/03 10:00``), yen amounts (some ``NULL``), the
same people's emails in full-width letters or at ``googlemail.com`` with ``+tags``,
every phone in national format with a country column (``JP``, ``us``, ``UK``). The
brand's spend is a pandas-written Parquet file (Arrow strings, integer yen).

:func:`truth` is the answer computed with pandas from the people themselves (who is
who), not from any token: what the clean room must find.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd

PEOPLE = 180
CAMPAIGNS = ("spring", "summer", "autumn")
CHANNELS = ("CTV", " ctv", "Search", "search ")
T0 = 1_709_251_200  # 2024-03-01 00:00 UTC
DAY = 86_400
WINDOW = 7 * DAY
JST = timezone(timedelta(hours=9))
SPEND_YEN = {"spring": 1_200_000, "summer": 800_000, "autumn": 450_000}

BRAND_MAPPING = """\
kind: exposures
timezone: Asia/Tokyo
identifiers:
  - {column: メール, type: email, fold_gmail: true}
  - {column: 電話, type: phone, regions: [JP, US]}
attributes:
  - {column: キャンペーン, type: string, as: campaign_id}
  - {column: チャネル, type: string, as: channel, transform: [trim, lower]}
  - {column: 接触日時, type: timestamp, as: exposure_time}
"""
RETAILER_MAPPING = """\
kind: purchases
timezone: Asia/Tokyo
identifiers:
  - {column: メールアドレス, type: email, fold_gmail: true}
  - {column: 電話番号, type: phone, country_column: 国}
attributes:
  - {column: 購入日時, type: timestamp, as: purchase_time, format: "%Y/%m/%d %H:%M"}
  - {column: 金額, type: float, as: amount, null_values: ["NULL", "N/A"], on_null: drop}
"""
POLICY = """\
format: cleanroom-policy/1
name: first-day
version: 1
templates: [overlap, conversions, lift]
dimensions:
  exposures: [channel]
  purchases: [category]
window: {min: 1d, max: 30d}
k: 2
epsilon_choices: ["1/2"]
budget: {epsilon: "20", period: monthly}
contribution: {max_campaigns_per_user: 3, max_purchases_per_user: 5, amount_cap: 100000}
receivers: [brand, retailer]
keys:
  campaign_id: [spring, summer, autumn]
  channel: [ctv, search]
  category: {values: [food], other: true}
"""


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@dataclass(frozen=True)
class Person:
    i: int

    @property
    def country(self) -> str:
        return ("JP", "US", "GB")[self.i % 3]

    @property
    def exposed(self) -> bool:
        return self.i % 6 != 5

    @property
    def campaign(self) -> str:
        return CAMPAIGNS[(self.i // 3) % 3]

    @property
    def exposure_time(self) -> int:
        return T0 + self.i * 600

    @property
    def national_phone(self) -> str:
        if self.country == "JP":
            return f"090-{1000 + self.i:04d}-{(self.i * 37) % 10000:04d}"
        if self.country == "US":
            return f"(650) 253-{self.i:04d}"
        return f"020 7946 {self.i:04d}"

    @property
    def brand_phone(self) -> str:
        if self.i % 7 == 0:
            return ""
        return f"+44 20 7946 {self.i:04d}" if self.country == "GB" else self.national_phone

    @property
    def brand_email(self) -> str:
        return (
            f"taro.yamada.{self.i}@gmail.com" if self.i % 4 == 0 else f"user{self.i}@example.co.jp"
        )

    @property
    def retailer_email(self) -> str:
        if self.i % 5 == 0:
            return ""
        if self.i % 4 == 0:
            return f"Taro.Yamada{self.i}+shop@GoogleMail.com"
        if self.i % 3 == 0:
            return _full_width(f"USER{self.i}@EXAMPLE.CO.JP")
        return f" User{self.i}@Example.co.jp"

    def purchases(self) -> list[tuple[int, str]]:
        """(true epoch seconds, amount text): inside the window, at its far edge (outside
        if JST were read as UTC), and just before the exposure (inside if misread)."""
        if self.i % 2:
            return []
        te = self.exposure_time
        rows = [(te + 2 * DAY, str(1000 + 10 * self.i))]
        if self.i % 8 == 0:
            rows.append((te + WINDOW - 3 * 3600, str(5000 + self.i)))
        if self.i % 10 == 0:
            rows.append((te - 2 * 3600, "2500"))
        if self.i % 12 == 0:
            rows.append((te + DAY, "NULL"))
        return rows


def people() -> list[Person]:
    return [Person(i) for i in range(PEOPLE)]


def _csv(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _jst_iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, JST).isoformat()


def _jst_wall_clock(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, JST).strftime("%Y/%m/%d %H:%M")


def write_brand(path: Path) -> Path:
    rows = [
        [p.brand_email, p.brand_phone, p.campaign, CHANNELS[p.i % 4], _jst_iso(p.exposure_time)]
        for p in people()
        if p.exposed
    ]
    header = ["メール", "電話", "キャンペーン", "チャネル", "接触日時"]
    path.write_text(_csv(header, rows), encoding="utf-8")
    return path


def write_retailer(path: Path) -> Path:
    spelled = {"JP": "JP", "US": "us", "GB": "UK"}
    rows = [
        [p.retailer_email, p.national_phone, spelled[p.country], _jst_wall_clock(t), amount]
        for p in people()
        for t, amount in p.purchases()
    ]
    header = ["メールアドレス", "電話番号", "国", "購入日時", "金額"]
    path.write_bytes(_csv(header, rows).encode("cp932"))
    return path


def write_spend(path: Path) -> Path:
    frame = pd.DataFrame({"campaign_id": list(SPEND_YEN), "spend": list(SPEND_YEN.values())})
    frame.astype({"campaign_id": "string[pyarrow]", "spend": "int64"}).to_parquet(path)
    return path


def truth(join: str, by_channel: bool = False) -> dict[tuple[str, ...], tuple[int, int, float]]:
    """(campaign[, channel]) -> (exposed, converted, revenue in yen), with pandas, from
    who the people are. Joined on ``email``: every exposure has the brand's address, a
    purchase matches when the retailer has the address too. On ``phone``: the retailer
    has every number, the brand some."""
    frame = pd.DataFrame(
        {
            "i": p.i,
            "campaign": p.campaign,
            "channel": CHANNELS[p.i % 4].strip().lower(),
            "te": p.exposure_time,
            "tokened": join == "email" or bool(p.brand_phone),
            "matched": bool(p.retailer_email) if join == "email" else bool(p.brand_phone),
        }
        for p in people()
        if p.exposed
    )
    buys = pd.DataFrame(
        [
            {"i": p.i, "t": t, "amount": float(a)}
            for p in people()
            for t, a in p.purchases()
            if a != "NULL"
        ]
    )
    exposed = frame[frame["tokened"]]  # exposures carrying the brand's token
    hits = exposed[exposed["matched"]].merge(buys, on="i")  # the retailer has it too
    hits = hits[(hits["t"] >= hits["te"]) & (hits["t"] <= hits["te"] + WINDOW)]
    keys = ["campaign", "channel"] if by_channel else ["campaign"]
    answer = {}
    for key, group in exposed.groupby(keys):
        key = key if isinstance(key, tuple) else (key,)
        mine = hits
        for column, value in zip(keys, key, strict=True):
            mine = mine[mine[column] == value]
        answer[tuple(key)] = (len(group), mine["i"].nunique(), float(mine["amount"].sum()))
    return answer
