"""The tokenize summary: counts, reasons, warnings and timing, never a value from the input.

Warnings (:meth:`TokenizeSummary.find_warnings`; ``tokenize --strict`` fails on any):
no row written, every value of an identifier column invalid, and more than the mapping's
``duplicate_share`` of the written rows exact duplicates. Invalid phones come with one
made-up example per reason (:data:`PHONE_EXAMPLES`), never a value from the file.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from party_agent.duplicates import DuplicateRows
from protocols import IdType, Reason

#: What each rejection of a phone means, with a made-up example of its shape.
PHONE_EXAMPLES: dict[Reason, str] = {
    Reason.EMPTY: "an empty cell",
    Reason.NOT_A_PHONE_NUMBER: (
        "not a number, or a national number with no region to read it in "
        "(e.g. 'see notes', or 0000-0000 with no region or country)"
    ),
    Reason.INVALID_PHONE: (
        "a number that is not valid in the region it was read in (e.g. a UK number "
        "like 020 0000 0000 read as JP: declare country_column or regions)"
    ),
    Reason.CONTROL_CHARACTER: "a control character inside (e.g. a line break after 555-0100)",
}


@dataclass
class TokenizeSummary:
    """Running totals of one ``tokenize`` run; built up batch by batch."""

    rows_read: int = 0
    rows_written: int = 0
    rows_dropped_no_identifier: int = 0
    rows_dropped_invalid_attribute: Counter[str] = field(default_factory=Counter)
    rows_dropped_null: Counter[str] = field(default_factory=Counter)
    invalid_identifiers: dict[str, Counter[Reason]] = field(default_factory=dict)
    tokens_written: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    duplicates: DuplicateRows | None = None
    #: Timestamp columns seen with UTC offsets (to name a mix of both).
    offset_columns: set[str] = field(default_factory=set)
    phone_columns: set[str] = field(default_factory=set)

    def count_rejected(
        self, column: str, rejected: Counter[Reason], id_type: IdType | None = None
    ) -> None:
        self.invalid_identifiers.setdefault(column, Counter()).update(rejected)
        if id_type is IdType.PHONE:
            self.phone_columns.add(column)

    def add(self, batch: TokenizeSummary) -> None:
        """Count in one batch's counts (batches in input order)."""
        self.rows_read += batch.rows_read
        self.rows_written += batch.rows_written
        self.rows_dropped_no_identifier += batch.rows_dropped_no_identifier
        self.rows_dropped_invalid_attribute.update(batch.rows_dropped_invalid_attribute)
        self.rows_dropped_null.update(batch.rows_dropped_null)
        for column, rejected in batch.invalid_identifiers.items():
            self.invalid_identifiers.setdefault(column, Counter()).update(rejected)
        self.tokens_written.update(batch.tokens_written)
        self.offset_columns |= batch.offset_columns
        self.phone_columns |= batch.phone_columns

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.seconds if self.seconds > 0 else 0.0

    def find_warnings(self, duplicate_share: float) -> list[str]:
        """What a user should look at before uploading this file."""
        found = []
        if self.rows_written == 0:
            found.append(
                "no rows written: the input has no data rows"
                if self.rows_read == 0
                else f"no rows written: all {self.rows_read:,} rows were dropped"
            )
        for column, counts in sorted(self.invalid_identifiers.items()):
            present = self.rows_read - counts[Reason.EMPTY]
            invalid = sum(n for reason, n in counts.items() if reason is not Reason.EMPTY)
            if present > 0 and invalid == present:
                found.append(f"every value of {column!r} is invalid ({invalid:,} rows)")
        share = self.duplicates.share if self.duplicates is not None else 0.0
        if self.rows_written and share > duplicate_share:
            found.append(
                f"{share:.1%} of the written rows are exact duplicates of another row "
                f"(more than duplicate_share {duplicate_share:g}): was the export joined twice?"
            )
        return found

    def examples(self) -> dict[str, dict[str, str]]:
        """One made-up example per reason of each phone column's rejections."""
        return {
            column: {
                str(reason): PHONE_EXAMPLES[reason]
                for reason, n in sorted(self.invalid_identifiers[column].items())
                if n and reason in PHONE_EXAMPLES
            }
            for column in sorted(self.phone_columns)
            if +self.invalid_identifiers[column]
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows_read": self.rows_read,
            "rows_written": self.rows_written,
            "rows_dropped_no_identifier": self.rows_dropped_no_identifier,
            "rows_dropped_invalid_attribute": dict(
                sorted(self.rows_dropped_invalid_attribute.items())
            ),
            "rows_dropped_null": dict(sorted(self.rows_dropped_null.items())),
            "invalid_identifiers": {
                column: {str(reason): n for reason, n in sorted(counts.items())}
                for column, counts in sorted(self.invalid_identifiers.items())
            },
            "invalid_identifier_examples": self.examples(),
            "tokens_written": dict(self.tokens_written),
            "warnings": list(self.warnings),
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
        for column, n in sorted(self.rows_dropped_null.items()):
            lines.append(f"rows dropped (missing {column!r}): {n:,}")
        for family, n in self.tokens_written.items():
            lines.append(f"tokens written ({family}): {n:,}")
        examples = self.examples()
        for column, counts in sorted(self.invalid_identifiers.items()):
            total = sum(counts.values())
            if not total:
                continue
            reasons = ", ".join(f"{reason} {n:,}" for reason, n in counts.most_common())
            lines.append(f"invalid {column!r}: {total:,} ({reasons})")
            for reason, example in examples.get(column, {}).items():
                lines.append(f"  {reason}: {example}")
        lines += [f"warning: {warning}" for warning in self.warnings]
        lines.append(f"time: {self.seconds:.2f} s ({self.rows_per_second:,.0f} rows/s)")
        return "\n".join(lines)
