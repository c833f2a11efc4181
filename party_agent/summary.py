"""The tokenize summary: counts, reasons and timing, never a value from the input."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from protocols import Reason


@dataclass
class TokenizeSummary:
    """Running totals of one ``tokenize`` run; built up batch by batch."""

    rows_read: int = 0
    rows_written: int = 0
    rows_dropped_no_identifier: int = 0
    rows_dropped_invalid_attribute: Counter[str] = field(default_factory=Counter)
    invalid_identifiers: dict[str, Counter[Reason]] = field(default_factory=dict)
    tokens_written: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def count_rejected(self, column: str, rejected: Counter[Reason]) -> None:
        self.invalid_identifiers.setdefault(column, Counter()).update(rejected)

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows_read": self.rows_read,
            "rows_written": self.rows_written,
            "rows_dropped_no_identifier": self.rows_dropped_no_identifier,
            "rows_dropped_invalid_attribute": dict(
                sorted(self.rows_dropped_invalid_attribute.items())
            ),
            "invalid_identifiers": {
                column: {str(reason): n for reason, n in sorted(counts.items())}
                for column, counts in sorted(self.invalid_identifiers.items())
            },
            "tokens_written": dict(self.tokens_written),
            "seconds": round(self.seconds, 3),
            "rows_per_second": round(self.rows_per_second, 1),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=False)

    def to_text(self) -> str:
        lines = [
            f"rows read:      {self.rows_read:,}",
            f"rows written:   {self.rows_written:,}",
            f"rows dropped (no valid identifier): {self.rows_dropped_no_identifier:,}",
        ]
        for column, n in sorted(self.rows_dropped_invalid_attribute.items()):
            lines.append(f"rows dropped (invalid {column!r}): {n:,}")
        for family, n in self.tokens_written.items():
            lines.append(f"tokens written ({family}): {n:,}")
        for column, counts in sorted(self.invalid_identifiers.items()):
            total = sum(counts.values())
            if not total:
                continue
            reasons = ", ".join(f"{reason} {n:,}" for reason, n in counts.most_common())
            lines.append(f"invalid {column!r}: {total:,} ({reasons})")
        lines.append(f"time: {self.seconds:.2f} s ({self.rows_per_second:,.0f} rows/s)")
        return "\n".join(lines)
