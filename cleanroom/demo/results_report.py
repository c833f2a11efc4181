"""The results report: one self-contained HTML page (no scripts, no network).

Charts (inline SVG, :mod:`reports`, shared with the web console): converted
users and ROAS per campaign, conversion rate of the exposed and holdout arms, and
absolute lift, each number with its 95% interval and the true value of the synthetic
world. Then every released table in full. Every text is escaped with ``html.escape``.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cleanroom.demo.released import Released, Row
from reports import Number, Series, formats, interval_chart

_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#1d2430;max-width:1100px}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d6dbe3}
table{border-collapse:collapse;width:100%;font-size:.85rem}
th,td{border-bottom:1px solid #e4e7ec;padding:.3rem .5rem;text-align:right;vertical-align:top}
th:first-child,td:first-child{text-align:left}th{background:#f4f6f9}
.muted{color:#667085}.truth{color:#0e7490;font-size:.8rem}.suppressed{color:#98a2b3}
.mono{font-family:monospace}.headline{font-size:1.1rem}
"""
EXPOSED, HOLDOUT = "#2563eb", "#d97706"
POOLED_LABEL = "all campaigns (pooled)"


@dataclass(frozen=True)
class ReportContext:
    collaboration: str
    policy: str
    generated_at: str
    note: str
    pooling_note: str


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _numbers(rows: tuple[Row, ...], column: str) -> list[Number | None]:
    return [None if row.suppressed else row.numbers[column] for row in rows]


def _conversion_charts(conversions: Released) -> str:
    labels = [row.label for row in conversions.rows]
    converted = Series("converted users", EXPOSED, _numbers(conversions.rows, "converted_users"))
    roas = Series("ROAS", "#059669", _numbers(conversions.rows, "roas"))
    return "".join(
        [
            "<h2>Conversions per campaign</h2>",
            "<p class='muted'>People who bought within 7 days after an exposure, the purchase "
            "credited to the last campaign seen (last touch).</p>",
            interval_chart(
                "Converted users per campaign", labels, [converted], formats.count, True
            ),
            "<h2>Return on ad spend per campaign</h2>",
            "<p class='muted'>Attributed revenue divided by the campaign's spend (uploaded by "
            "the brand, no identifiers in it).</p>",
            interval_chart("ROAS per campaign", labels, [roas], formats.ratio, True),
        ]
    )


def _lift_charts(lift: Released, pooled: Mapping[str, Number]) -> str:
    labels = [row.label for row in lift.rows] + [POOLED_LABEL]
    exposed = [*_numbers(lift.rows, "exposed_rate"), pooled.get("exposed_rate")]
    holdout = [*_numbers(lift.rows, "holdout_rate"), pooled.get("holdout_rate")]
    absolute = [*_numbers(lift.rows, "absolute_lift"), pooled.get("absolute_lift")]
    rates = [Series("exposed", EXPOSED, exposed), Series("holdout", HOLDOUT, holdout)]
    return "".join(
        [
            "<h2>Lift: exposed vs holdout</h2>",
            "<p class='muted'>Share of each campaign's people who bought within 7 days of an "
            "exposure; the holdout arm was kept from seeing the ad.</p>",
            interval_chart("Conversion rate, exposed vs holdout", labels, rates, formats.rate),
            "<h3>Absolute lift: exposed rate minus holdout rate</h3>",
            interval_chart(
                "Absolute lift (percentage points)",
                labels,
                [Series("absolute lift", "#7c3aed", absolute)],
                formats.points,
            ),
        ]
    )


def _cell(column: str, number: Number, suppressed: bool) -> str:
    if suppressed:
        return "<td class='suppressed'>suppressed</td>"
    truth = formats.truth_text(column, number)
    return (
        f"<td>{_e(formats.released_text(column, number))}"
        f"<br><span class='truth'>true {_e(truth)}</span></td>"
    )


def _table(released: Released, title: str, extra: Mapping[str, Number] | None = None) -> str:
    head = "".join(f"<th>{_e(name)}</th>" for name in released.key_columns)
    head += "".join(f"<th>{_e(formats.heading(c))}</th>" for c in released.value_columns)
    body = []
    for row in released.rows:
        keys = [row.label] if row.remainder else list(row.key)
        cells = "".join(_cell(c, row.numbers[c], row.suppressed) for c in released.value_columns)
        body.append(f"<tr>{''.join(f'<td>{_e(k)}</td>' for k in keys)}{cells}</tr>")
    if extra:
        empty = "<td class='muted'>—</td>"
        cells = "".join(
            _cell(c, extra[c], False) if c in extra else empty for c in released.value_columns
        )
        body.append(f"<tr><td><b>{_e(POOLED_LABEL)}</b></td>{cells}</tr>")
    caption = (
        f"Each number: released value [95% interval], true value below. "
        f"{released.rows_suppressed} group(s) suppressed (noisy count below k={released.k}). "
        f"Epsilon {released.epsilon}; result {released.result_id}, asked by "
        f"{released.requested_by}; digest {released.digest[:16]}…"
    )
    return (
        f"<h2>{_e(title)}</h2><table><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table><p class='muted'>{_e(caption)}</p>"
    )


def _headline(results: Mapping[str, Released], pooled: Mapping[str, Number]) -> str:
    matched = next((r for r in results["overlap"].rows if r.key == ("matched",)), None)
    lines = []
    if matched is not None and not matched.suppressed:
        lines.append(
            f"Matched people: {formats.released_text('users', matched.numbers['users'])}"
            f" (true {formats.truth_text('users', matched.numbers['users'])})"
        )
    lift = pooled.get("absolute_lift")
    if lift is not None:
        lines.append(
            f"Typical campaign lift: {formats.released_text('absolute_lift', lift)} "
            f"(true {formats.truth_text('absolute_lift', lift)})"
        )
    return "".join(f"<p class='headline'>{_e(line)}</p>" for line in lines)


def render_results(
    results: Mapping[str, Released], pooled: Mapping[str, Number], context: ReportContext
) -> str:
    title = f"Campaign results: {context.collaboration}"
    return "".join(
        [
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
            f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
            f"<h1>{_e(title)}</h1>",
            f"<p class='muted'>Generated {_e(context.generated_at)} by <span class='mono'>"
            f"cleanroom demo</span>; policy <span class='mono'>{_e(context.policy)}</span>. "
            "Every number passed the policy: differential-privacy noise, minimum group size, "
            "privacy budget.</p>",
            _headline(results, pooled),
            f"<p class='muted'>{_e(context.note)}</p>",
            _conversion_charts(results["conversions"]),
            _lift_charts(results["lift"], pooled),
            f"<p class='muted'>{_e(context.pooling_note)}</p>",
            _table(results["overlap"], "Overlap"),
            _table(results["conversions"], "Conversions (7-day window, last touch)"),
            _table(results["lift"], "Lift (7-day window)", pooled),
            "</body></html>",
        ]
    )


def write_results_report(
    path: Path,
    results: Mapping[str, Released],
    pooled: Mapping[str, Number],
    context: ReportContext,
) -> Path:
    path.write_text(render_results(results, pooled, context), encoding="utf-8")
    return path
