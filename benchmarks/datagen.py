"""Deterministic messy identifier columns for the benchmarks, cached as Parquet.

The mess is the kind found in CRM exports: mixed case, surrounding spaces, plus tags,
Gmail dots, a little unicode, about 5% invalid values, phone numbers in many national
and international formats. Same seed, same file; files live in ``benchmarks/data/``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks.common import DATA_DIR

SEED = 20261123
FIRST = ["john", "mary", "ana", "li", "omar", "sara", "peter", "chloe", "raj", "nina", "tom"]
LAST = ["smith", "garcia", "nguyen", "okafor", "muller", "rossi", "kim", "dubois", "silva"]
DOMAINS = (
    ["gmail.com"] * 30
    + ["yahoo.com"] * 10
    + ["hotmail.com"] * 8
    + ["outlook.com"] * 8
    + ["icloud.com"] * 5
    + ["googlemail.com", "aol.com", "comcast.net", "acme-corp.co.uk", "shop.example.org"]
)
AREA_CODES = ["212", "415", "617", "312", "213", "646", "305", "512", "206", "404", "702"]
PHONE_FORMATS = [
    "({a}) {b}-{c}",
    "{a}-{b}-{c}",
    "{a}.{b}.{c}",
    "{a}{b}{c}",
    "+1 {a} {b} {c}",
    "+1{a}{b}{c}",
    "1-{a}-{b}-{c}",
    "+1 ({a}) {b}-{c}",
]


def _case(rng: random.Random, text: str) -> str:
    roll = rng.random()
    if roll < 0.10:
        return text.upper()
    if roll < 0.30:
        return text.title()
    return text


def _pad(rng: random.Random, text: str) -> str:
    roll = rng.random()
    if roll < 0.12:
        return f"  {text} "
    if roll < 0.15:
        return f"\t{text}"
    return text


def _invalid_email(rng: random.Random, good: str) -> str | None:
    return rng.choice(
        [
            lambda: good.replace("@", ""),
            lambda: good.replace("@", "@@"),
            lambda: good.replace("@", " @ "),
            lambda: good.rsplit(".", 1)[0],
            lambda: "",
            lambda: None,
            lambda: "n/a",
        ]
    )()


def email(rng: random.Random, i: int) -> str | None:
    sep = rng.choice(["", ".", "_", ""])
    local = f"{rng.choice(FIRST)}{sep}{rng.choice(LAST)}{i % 100_003}"
    if rng.random() < 0.08:
        local += f"+{rng.choice(['news', 'shop', 'promo'])}"
    if rng.random() < 0.005:
        local = local.replace("a", "á", 1)
    good = f"{local}@{rng.choice(DOMAINS)}"
    if rng.random() < 0.05:
        return _invalid_email(rng, good)
    return _pad(rng, _case(rng, good))


def phone(rng: random.Random, i: int) -> str | None:
    a = rng.choice(AREA_CODES)
    b = f"{rng.randint(200, 999)}"
    c = f"{(i * 7919 + rng.randint(0, 9)) % 10_000:04d}"
    if rng.random() < 0.05:
        return rng.choice([f"{b}-{c}", f"123-{b}-{c}", "", None, "call me", f"{a}{b}{c}99"])
    return _pad(rng, rng.choice(PHONE_FORMATS).format(a=a, b=b, c=c))


def _build(path: Path, rows: int, make: Callable[[random.Random, int], str | None]) -> Path:
    if not path.exists():
        rng = random.Random(f"{SEED}:{path.name}")
        values = pa.array([make(rng, i) for i in range(rows)], pa.string())
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        pq.write_table(pa.table({"value": values}), tmp)
        tmp.rename(path)
    return path


def emails_parquet(rows: int) -> Path:
    """``rows`` messy raw emails in a Parquet column named ``value``."""
    return _build(DATA_DIR / f"emails_{rows}.parquet", rows, email)


def phones_parquet(rows: int, distinct: int | None = None) -> Path:
    """``rows`` messy US phone numbers; with ``distinct``, that many customers repeated."""
    if distinct is None:
        return _build(DATA_DIR / f"phones_{rows}.parquet", rows, phone)
    path = DATA_DIR / f"phones_{rows}_of_{distinct}.parquet"
    if not path.exists():
        pool = pq.read_table(phones_parquet(distinct)).column("value").combine_chunks()
        rng = random.Random(f"{SEED}:{path.name}")
        picks = pa.array([rng.randrange(distinct) for _ in range(rows)], pa.int64())
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.table({"value": pool.take(picks)}), path)
    return path
