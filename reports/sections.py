"""One section of the report per result: a template's own section where one is registered
in :data:`SECTIONS`, then, for every result, the generic part (a table of every column
with its interval and an interval chart per numeric column), so results of templates
with no section of their own still show in full.

To add a section for a new template: write ``def my_section(result, style) -> str``
(escaped HTML; :func:`chart` draws an interval chart of one or more columns) and add it
to :data:`SECTIONS` under the template's name.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

from reports.intervals import Series, interval_chart
from reports.released import Released, Row
from reports.style import Style, heading

Section = Callable[[Released, Style], str]
COLORS = ("#2563eb", "#059669", "#7c3aed", "#d97706", "#db2777", "#0891b2")
EXPOSED, HOLDOUT = "#2563eb", "#d97706"


def e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _shown_rows(result: Released) -> tuple[Row, ...]:
    return tuple(row for row in result.rows if not row.remainder)


def chart(
    result: Released,
    columns: Sequence[tuple[str, str, str]],
    style: Style,
    title: str,
    bars: bool = False,
) -> str:
    """An interval chart of ``(column, series name, color)`` over the released rows
    (the table lists the suppressed ones; the caption counts them)."""
    rows = [r for r in _shown_rows(result) if not r.suppressed]
    hidden = len(_shown_rows(result)) - len(rows)
    series = [
        Series(name, color, [r.numbers[column] for r in rows]) for column, name, color in columns
    ]
    fmt = style.formatter(columns[0][0], short=True)
    svg = interval_chart(title, [r.label for r in rows], series, fmt, bars) if rows else ""
    note = f" <span class='muted'>({hidden} suppressed group(s) not drawn)</span>" if hidden else ""
    return f"<figure><figcaption>{e(title)}{note}</figcaption>{svg}</figure>"


def _has(result: Released, *columns: str) -> bool:
    return all(c in result.value_columns for c in columns)


def models_of(result: Released) -> list[str]:
    """The attribution models of a comparison (columns ``model.statistic``), in order."""
    return list(dict.fromkeys(c.split(".", 1)[0] for c in result.value_columns if "." in c))


def comparison_section(result: Released, style: Style) -> str:
    """Credit-splitting models side by side: one chart per statistic, one series each."""
    models = models_of(result)
    parts = [
        "<p class='muted'>The same campaigns under "
        f"{e(', '.join(m.replace('_', ' ') for m in models))}: each kept purchase gives "
        "one credit (and its capped amount) split over its touches by the model. One "
        "query released every model; its epsilon covers them all.</p>"
    ]
    for stat, title in (
        ("credited_conversions", "Credited conversions per campaign, by model"),
        ("credited_revenue", "Credited revenue per campaign, by model"),
        ("roas", "ROAS per campaign, by model"),
    ):
        columns = [
            (f"{m}.{stat}", m.replace("_", " "), COLORS[i % len(COLORS)])
            for i, m in enumerate(models)
            if f"{m}.{stat}" in result.value_columns
        ]
        if columns:
            parts.append(chart(result, columns, style, title))
    return "".join(parts)


def conversions_section(result: Released, style: Style) -> str:
    if models_of(result):
        return comparison_section(result, style)
    attribution = (result.parameters or {}).get("attribution", "")
    parts = [
        "<p class='muted'>People who bought within the window after an exposure, each "
        f"purchase credited by {e(str(attribution).replace('_', ' ') or 'attribution')}.</p>"
    ]
    if _has(result, "converted_users"):
        columns = [("converted_users", "converted users", EXPOSED)]
        parts.append(chart(result, columns, style, "Converted users per campaign", True))
    if _has(result, "roas"):
        parts.append(
            "<p class='muted'>Return on ad spend: attributed revenue over the campaign's spend.</p>"
        )
        parts.append(chart(result, [("roas", "ROAS", "#059669")], style, "ROAS per campaign", True))
    return "".join(parts)


def lift_section(result: Released, style: Style) -> str:
    parts = [
        "<p class='muted'>Share of each campaign's people who bought within the window; "
        "the holdout arm was kept from seeing the ad.</p>"
    ]
    if _has(result, "exposed_rate", "holdout_rate"):
        arms = [("exposed_rate", "exposed", EXPOSED), ("holdout_rate", "holdout", HOLDOUT)]
        parts.append(chart(result, arms, style, "Conversion rate, exposed vs holdout"))
    if _has(result, "absolute_lift"):
        lift = [("absolute_lift", "absolute lift", "#7c3aed")]
        parts.append(chart(result, lift, style, "Absolute lift (percentage points)"))
    if _has(result, "incremental_roas"):
        iroas = [("incremental_roas", "incremental ROAS", "#059669")]
        parts.append(chart(result, iroas, style, "Incremental ROAS per campaign"))
    return "".join(parts)


def reach_frequency_section(result: Released, style: Style) -> str:
    parts = [
        "<p class='muted'>Exposed people per campaign by how often they saw it (frequency "
        "bucket), and the share of each bucket who bought within the window: where "
        "frequency starts paying.</p>"
    ]
    if _has(result, "conversion_rate"):
        rate = [("conversion_rate", "conversion rate", EXPOSED)]
        parts.append(chart(result, rate, style, "Conversion rate by campaign and frequency"))
    if _has(result, "users"):
        users = [("users", "exposed people", "#0891b2")]
        parts.append(chart(result, users, style, "Exposed people per frequency bucket", True))
    return "".join(parts)


def time_to_conversion_section(result: Released, style: Style) -> str:
    parts = [
        "<p class='muted'>How long after the attributed exposure each purchase came: the "
        "share of each campaign's attributed purchases per delay bucket.</p>"
    ]
    if _has(result, "share"):
        share = [("share", "share of purchases", "#7c3aed")]
        parts.append(chart(result, share, style, "Share of purchases by delay", True))
    return "".join(parts)


FUNNEL_STAGES = (
    ("exposed", "exposed"),
    ("matched", "bought at the retailer"),
    ("converted", "converted in the window"),
    ("repeated", "bought again"),
)
FUNNEL_RATES = (
    ("match_rate", "matched / exposed"),
    ("conversion_rate", "converted / matched"),
    ("repeat_rate", "repeated / converted"),
)


def funnel_section(result: Released, style: Style) -> str:
    parts = [
        "<p class='muted'>Each campaign's exposed people, those who bought anything at the "
        "retailer, those who converted within the window, and those who bought again "
        "within the horizon; then the step rates between the stages.</p>"
    ]
    stages = [(c, name, COLORS[i]) for i, (c, name) in enumerate(FUNNEL_STAGES) if _has(result, c)]
    if stages:
        parts.append(chart(result, stages, style, "People at each funnel stage"))
    rates = [
        (c, name, COLORS[i + 1]) for i, (c, name) in enumerate(FUNNEL_RATES) if _has(result, c)
    ]
    if rates:
        parts.append(chart(result, rates, style, "Step rates of the funnel"))
    return "".join(parts)


#: A template's own section; every result also gets :func:`generic_section`.
SECTIONS: dict[str, Section] = {
    "conversions": conversions_section,
    "lift": lift_section,
    "reach_frequency": reach_frequency_section,
    "time_to_conversion": time_to_conversion_section,
    "funnel": funnel_section,
}


def _cell(column: str, row: Row, style: Style) -> str:
    if row.suppressed:
        return "<td class='suppressed'>suppressed</td>"
    number = row.numbers[column]
    truth = ""
    if number.truth is not None:
        truth = f"<br><span class='truth'>true {e(style.formatter(column)(number.truth))}</span>"
    return f"<td>{e(style.released(column, number))}{truth}</td>"


def result_table(result: Released, style: Style) -> str:
    head = "".join(f"<th>{e(name)}</th>" for name in result.key_columns)
    head += "".join(f"<th>{e(heading(c))}</th>" for c in result.value_columns)
    body = []
    for row in result.rows:
        keys = [row.label] if row.remainder or row.derived else list(row.key)
        keys += [""] * (len(result.key_columns) - len(keys))
        cells = "".join(_cell(c, row, style) for c in result.value_columns)
        body.append(f"<tr>{''.join(f'<td>{e(k)}</td>' for k in keys)}{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def generic_section(result: Released, style: Style, folded: bool = False) -> str:
    """The table of every column and one interval chart per column (``folded``: the
    charts behind a ``<details>`` toggle, for results whose own section drew the main
    ones)."""
    parts = [result_table(result, style)]
    caption = (
        "Each number: released value [95% interval]. "
        f"{result.rows_suppressed} group(s) suppressed (noisy count below k={result.k}). "
        f"Epsilon {result.epsilon}; result {result.result_id}"
        + (f", asked by {result.requested_by}" if result.requested_by else "")
        + "."
    )
    parts.append(f"<p class='muted'>{e(caption)}</p>")
    charts = []
    for i, column in enumerate(result.value_columns):
        if any(r.numbers[column].value is not None for r in result.released_rows):
            columns = [(column, heading(column), COLORS[i % len(COLORS)])]
            title = f"{heading(column)[:1].upper()}{heading(column)[1:]} per group"
            charts.append(chart(result, columns, style, title))
    if folded and charts:
        return "".join(
            [*parts, "<details><summary>Every column as a chart</summary>", *charts, "</details>"]
        )
    return "".join(parts + charts)
