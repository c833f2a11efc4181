"""Budget refresh periods and their exact boundaries (UTC).

A period is half-open, ``[start, end)``: a charge made at exactly ``end`` belongs to
the next period. The boundaries, all at 00:00:00 UTC unless a fixed length says
otherwise:

- ``daily``: every midnight UTC.
- ``weekly``: every Monday (ISO weeks).
- ``monthly``: the first day of every calendar month.
- a fixed length such as ``"30d"`` or ``"12h"``: consecutive blocks of that length
  counted from the Unix epoch, 1970-01-01T00:00:00Z (so ``"1d"`` equals ``daily``
  and is written ``daily``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from policies.exact import Duration

CALENDAR = ("daily", "weekly", "monthly")
PERIOD_HINT = 'write daily, weekly, monthly or a fixed length such as "30d"'
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DAY = 86_400
MIN_FIXED = Duration(3_600)
YEAR = 365 * _DAY


@dataclass(frozen=True)
class Period:
    """How often the privacy budget refreshes: a calendar name or a fixed length."""

    name: str

    def __post_init__(self) -> None:
        if self.name in CALENDAR:
            return
        try:
            fixed = Duration.parse(self.name)
        except ValueError:
            raise ValueError(f"{PERIOD_HINT}, got {self.name!r}") from None
        if fixed < MIN_FIXED:
            raise ValueError(f"a refresh period must be at least 1h, got {fixed}")
        canonical = "daily" if fixed.seconds == _DAY else str(fixed)
        object.__setattr__(self, "name", canonical)

    @classmethod
    def parse(cls, value: object) -> Period:
        if isinstance(value, Period):
            return value
        if not isinstance(value, str):
            raise ValueError(f"{PERIOD_HINT}, got {value!r}")
        return cls(value.strip())

    def __str__(self) -> str:
        return self.name

    @property
    def fixed(self) -> Duration | None:
        """The fixed length, or ``None`` for ``weekly``/``monthly``-style calendar periods."""
        if self.name == "daily":
            return Duration(_DAY)
        if self.name == "weekly":
            return Duration(7 * _DAY)
        if self.name == "monthly":
            return None
        return Duration.parse(self.name)

    def length_range(self) -> tuple[int, int]:
        """Shortest and longest length in seconds (a month is 28 to 31 days)."""
        fixed = self.fixed
        if fixed is None:
            return 28 * _DAY, 31 * _DAY
        return fixed.seconds, fixed.seconds

    def most_per_year(self) -> int:
        """The most periods that any 365 days can touch; each may be spent in full.

        A span of ``T`` seconds touches at most ``ceil(T / L) + 1`` blocks of length
        ``L`` (it may start just before a boundary); 365 days touch at most 13 calendar
        months (one ending on the last day of a month runs into the 13th).
        """
        if self.name == "monthly":
            return 13
        return -(-YEAR // self.length_range()[0]) + 1

    def bounds(self, at: datetime) -> tuple[datetime, datetime]:
        """Start (inclusive) and end (exclusive) of the period holding ``at``, in UTC."""
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError("a period boundary needs a timezone-aware time (use UTC)")
        at = at.astimezone(UTC)
        if self.name == "monthly":
            start = datetime(at.year, at.month, 1, tzinfo=UTC)
            year, month = (at.year + 1, 1) if at.month == 12 else (at.year, at.month + 1)
            return start, datetime(year, month, 1, tzinfo=UTC)
        if self.name == "weekly":
            midnight = datetime(at.year, at.month, at.day, tzinfo=UTC)
            start = midnight - timedelta(days=at.weekday())
            return start, start + timedelta(days=7)
        length = self.length_range()[0]
        elapsed = (at - _EPOCH) // timedelta(seconds=1)
        start = _EPOCH + timedelta(seconds=elapsed - elapsed % length)
        return start, start + timedelta(seconds=length)

    @property
    def noun(self) -> str:
        """What one period is called: ``"calendar month"``, ``"week"``, ``"day"``, ``"30 days"``."""
        names = {"monthly": "calendar month", "weekly": "week", "daily": "day"}
        return names.get(self.name) or Duration.parse(self.name).words()

    def words(self) -> str:
        """``"calendar month (UTC)"``, ``"week (Monday to Sunday, UTC)"``, ``"30 days"``."""
        if self.name == "monthly":
            return "calendar month, refreshed on the 1st at 00:00 UTC"
        if self.name == "weekly":
            return "week, refreshed every Monday at 00:00 UTC"
        if self.name == "daily":
            return "day, refreshed every midnight UTC"
        return f"{Duration.parse(self.name).words()}, counted in fixed blocks from 1970-01-01 UTC"
