"""Readable rich tables: each released number with its 95% interval, the truth next to it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from cleanroom.demo.released import Released
from reports import Number
from reports.style import Style, heading

STYLE = Style()

# The console shows the columns a reader compares first; the HTML report and the JSON
# document carry every column.
SHOWN = {
    "overlap": ("users",),
    "conversions": ("converted_users", "revenue", "roas"),
    "lift": ("exposed_rate", "holdout_rate", "absolute_lift"),
    "attribution": (
        "last_touch.credited_conversions", "linear.credited_conversions",
        "position_based.credited_conversions",
    ),
    "reach_frequency": ("users", "conversion_rate"),
    "time_to_conversion": ("purchases", "share"),
    "funnel": ("exposed", "match_rate", "conversion_rate"),
}  # fmt: skip
TITLES = {
    "overlap": "Overlap: distinct people on each side and in both (joined on email tokens)",
    "conversions": "Conversions per campaign: 7-day window, last touch; ROAS from brand spend",
    "lift": "Lift per campaign: exposed vs holdout, purchase within 7 days",
    "attribution": "Attribution models compared: credited conversions per campaign",
    "reach_frequency": "Reach and frequency: exposed people and conversion rate per bucket",
    "time_to_conversion": "Time to conversion: share of last-touch purchases per delay",
    "funnel": "Funnel: exposed, matched share, conversion rate of the matched",
}


def result_table(
    released: Released, columns: Sequence[str], pooled: Mapping[str, Number] | None = None
) -> Table:
    table = Table(
        title=TITLES.get(released.template, released.template),
        title_justify="left",
        caption=(
            f"released [95% interval] | true value. {released.rows_suppressed} group(s) "
            f"suppressed (noisy count below k={released.k}); epsilon {released.epsilon}; "
            f"result {released.result_id}, asked by {released.requested_by}"
        ),
        caption_justify="left",
    )
    for name in released.key_columns:
        table.add_column(name)
    for name in columns:
        table.add_column(f"{heading(name)} [95%]", justify="right")
        table.add_column("true", justify="right", style="cyan")
    for row in released.rows:
        cells: list[str] = []
        for name in columns:
            number = row.numbers[name]
            shown = (
                "[dim]suppressed[/dim]"
                if row.suppressed
                else STYLE.released(name, number, short=True)
            )
            cells += [shown, STYLE.truth(name, number, short=True)]
        table.add_row(*(row.label,) if row.remainder else row.key, *cells)
    if pooled:
        cells = []
        for name in columns:
            found = pooled.get(name)
            cells += (
                ["—", "—"]
                if found is None
                else [STYLE.released(name, found, short=True), STYLE.truth(name, found, short=True)]
            )
        table.add_row("[bold]all (pooled)[/bold]", *cells, end_section=False)
    return table


def print_results(
    results: Mapping[str, Released],
    pooled: Mapping[str, Number],
    audit_summary: str,
    reports: Mapping[str, str | None],
    notes: Sequence[str],
    console: Console,
) -> None:
    for name, released in results.items():
        extra = pooled if name == "lift" else None
        shown = [c for c in SHOWN.get(name, released.value_columns) if c in released.value_columns]
        console.print(result_table(released, shown, extra))
        console.print()
    for line in notes:
        console.print(line, style="dim")
    console.print(f"\n[bold]Audit log:[/bold] {audit_summary}", highlight=False)
    for label, path in reports.items():
        if path:
            console.print(f"[bold]{label}:[/bold] {_shown(path)}", highlight=False)


def _shown(path: str) -> str:
    """``path`` relative to the current directory when it lies below it."""
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return path
