"""What the pages show, built from the API's own reply shapes: navigation, result tables
with their interval charts, and the CSV export of a result."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from cleanroom.storage.models import Role
from reports import Number, Series, interval_chart
from reports.style import Style, heading

STYLE = Style()  # the console's numbers: USD, en-US, compact money

QUERY_ROLES = (Role.ANALYST, Role.PARTY_ADMIN)
BUDGET_ROLES = (Role.AUDITOR, Role.ANALYST, Role.PARTY_ADMIN)
AUDIT_ROLES = (Role.AUDITOR, Role.ADMIN)
COLORS = ("#2563eb", "#059669", "#7c3aed", "#d97706", "#db2777", "#0891b2")


@dataclass(frozen=True)
class Link:
    label: str
    suffix: str
    roles: tuple[Role, ...]


#: Links shown to each role; the pages themselves enforce the API's own role checks.
NAV = (
    Link("Overview", "", tuple(Role)),
    Link("Results", "/results", QUERY_ROLES),
    Link("Run a query", "/query", QUERY_ROLES),
    Link("Budget", "/budget", BUDGET_ROLES),
    Link("Audit log", "/audit", AUDIT_ROLES),
)


def nav_for(role: Role, collaboration_id: str) -> list[tuple[str, str]]:
    base = f"/ui/c/{collaboration_id}"
    return [(link.label, base + link.suffix) for link in NAV if role in link.roles]


@dataclass(frozen=True)
class Cell:
    text: str
    interval: str = ""


@dataclass(frozen=True)
class RowView:
    keys: list[str]
    cells: list[Cell]
    suppressed: bool
    remainder: bool


@dataclass(frozen=True)
class ResultView:
    key_columns: list[str]
    value_columns: list[str]
    headings: list[str]
    rows: list[RowView]
    charts: list[str]
    suppressed: int
    k: int


def _label(row: dict[str, Any]) -> str:
    if row["remainder"]:
        return "(all other groups)"
    return " / ".join("—" if k is None else str(k) for k in row["key"])


def _cell(column: str, number: Number) -> Cell:
    parts = STYLE.released_parts(column, number, short=True)
    if parts is None:
        return Cell("—")
    shown, low, high = parts
    return Cell(shown, f"{low} to {high}")


def _row(row: dict[str, Any], value_columns: list[str]) -> RowView:
    keys = [_label(row)] if row["remainder"] else ["—" if k is None else str(k) for k in row["key"]]
    numbers = {c: Number.from_triple(row["values"].get(c)) for c in value_columns}
    cells = [Cell("suppressed")] * len(value_columns) if row["suppressed"] else []
    if not row["suppressed"]:
        cells = [_cell(c, numbers[c]) for c in value_columns]
    return RowView(keys, cells, bool(row["suppressed"]), bool(row["remainder"]))


def _chart(column: str, color: str, rows: list[dict[str, Any]]) -> str | None:
    numbers = [
        None if r["suppressed"] else Number.from_triple(r["values"].get(column)) for r in rows
    ]
    if not any(n is not None and n.value is not None for n in numbers):
        return None
    name = heading(column)
    series = Series(name, color, numbers)
    title = f"{name[:1].upper()}{name[1:]} per group"
    labels = [_label(r) for r in rows]
    return interval_chart(title, labels, [series], STYLE.formatter(column, True), bars=True)


def result_view(public: dict[str, Any]) -> ResultView:
    """A stored result (``result_public``) as tables and one interval chart per column."""
    body = public["result"]
    value_columns, rows = list(body["value_columns"]), list(body["rows"])
    charts = [
        _chart(column, COLORS[i % len(COLORS)], rows) for i, column in enumerate(value_columns)
    ]
    return ResultView(
        key_columns=list(body["key_columns"]),
        value_columns=value_columns,
        headings=[heading(c) for c in value_columns],
        rows=[_row(r, value_columns) for r in rows],
        charts=[c for c in charts if c is not None],
        suppressed=int(public["rows_suppressed"]),
        k=int(body["k"]),
    )


def _safe(text: str) -> str:
    """A spreadsheet must not read a cell as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def result_csv(public: dict[str, Any]) -> str:
    """One line per group: keys, suppressed, remainder, then value, low, high per column."""
    body = public["result"]
    value_columns = list(body["value_columns"])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = [*body["key_columns"], "suppressed", "remainder"]
    header += [f"{c}{part}" for c in value_columns for part in ("", "_low", "_high")]
    writer.writerow(header)
    for row in body["rows"]:
        keys = [_safe("" if k is None else str(k)) for k in row["key"]]
        values: list[str] = []
        for column in value_columns:
            triple = row["values"].get(column)
            triple = triple or [None, None, None]  # null: not released, or an unbounded end
            values += ["" if x is None else repr(float(x)) for x in triple]
        writer.writerow(
            [*keys, str(row["suppressed"]).lower(), str(row["remainder"]).lower(), *values]
        )
    return out.getvalue()
