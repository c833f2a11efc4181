"""A settable clock for the server's storage (tests only; never reachable from config)."""

from __future__ import annotations

from datetime import datetime


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at
