"""Refresh periods: exact, half-open UTC boundaries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from policies import Period


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("period", "at", "start", "end"),
    [
        ("monthly", utc(2026, 11, 23, 12), utc(2026, 11, 1), utc(2026, 12, 1)),
        ("monthly", utc(2026, 12, 31, 23, 59, 59), utc(2026, 12, 1), utc(2027, 1, 1)),
        ("monthly", utc(2026, 12, 1), utc(2026, 12, 1), utc(2027, 1, 1)),
        ("monthly", utc(2028, 2, 29, 8), utc(2028, 2, 1), utc(2028, 3, 1)),
        ("weekly", utc(2026, 11, 23), utc(2026, 11, 23), utc(2026, 11, 30)),
        ("weekly", utc(2026, 11, 29, 23, 59), utc(2026, 11, 23), utc(2026, 11, 30)),
        ("daily", utc(2026, 11, 23, 12), utc(2026, 11, 23), utc(2026, 11, 24)),
        ("30d", utc(1970, 1, 31), utc(1970, 1, 31), utc(1970, 3, 2)),
        ("30d", utc(1970, 1, 30, 23), utc(1970, 1, 1), utc(1970, 1, 31)),
        ("12h", utc(2026, 11, 23, 13), utc(2026, 11, 23, 12), utc(2026, 11, 24)),
    ],
)
def test_bounds(period: str, at: datetime, start: datetime, end: datetime) -> None:
    assert Period(period).bounds(at) == (start, end)


def test_the_end_belongs_to_the_next_period() -> None:
    start, end = Period("monthly").bounds(utc(2026, 11, 5))
    assert Period("monthly").bounds(end) == (end, utc(2027, 1, 1))
    assert Period("monthly").bounds(end - timedelta(microseconds=1)) == (start, end)


def test_other_timezones_are_converted_to_utc() -> None:
    tokyo = timezone(timedelta(hours=9))
    # 2026-12-01 05:00 in Tokyo is still November in UTC.
    assert Period("monthly").bounds(datetime(2026, 12, 1, 5, tzinfo=tokyo)) == (
        utc(2026, 11, 1),
        utc(2026, 12, 1),
    )


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match=r"^a period boundary needs a timezone-aware time"):
        Period("daily").bounds(datetime(2026, 1, 1))


@pytest.mark.parametrize(("raw", "name"), [("1d", "daily"), ("24h", "daily"), ("4w", "28d")])
def test_fixed_lengths_are_canonical(raw: str, name: str) -> None:
    assert Period(raw).name == name


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("fortnightly",
         "write daily, weekly, monthly or a fixed length such as \"30d\", got 'fortnightly'"),
        ("30m", "a refresh period must be at least 1h, got 30m"),
    ],
)  # fmt: skip
def test_bad_periods(raw: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        Period(raw)
    assert str(caught.value) == message


def test_nouns() -> None:
    assert [Period(p).noun for p in ("monthly", "weekly", "daily", "30d")] == [
        "calendar month",
        "week",
        "day",
        "30 days",
    ]


@pytest.mark.parametrize(
    ("period", "most"),
    [("monthly", 13), ("weekly", 54), ("daily", 366), ("1h", 8761), ("30d", 14), ("365d", 2)],
)
def test_the_most_periods_any_365_days_can_touch(period: str, most: int) -> None:
    assert Period(period).most_per_year() == most


def test_thirteen_calendar_months_fit_in_365_days() -> None:
    start = utc(2026, 12, 31, 12)
    end = start + timedelta(days=365)
    months = {(d.year, d.month) for d in (start + timedelta(days=i) for i in range(366)) if d < end}
    assert len(months) == Period("monthly").most_per_year()
