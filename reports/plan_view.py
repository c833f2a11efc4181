"""A budget plan as records (CSV, JSON, a DataFrame: the same columns), and as HTML.

Columns, one row per campaign, ready for an ad tool's bulk upload: ``campaign_id``,
``current_spend``, ``suggested_spend``, ``change``, ``change_percent``,
``probability_beats_average`` (empty when held), ``basis`` (``roas``,
``incremental_roas``, or ``held: ... not released``), ``return``, ``return_low``,
``return_high`` (the released return and its 95% interval) and ``result_id``.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from reports.plan import BudgetPlan, PlanRow
from reports.sections import e
from reports.style import Style

COLUMNS = (
    "campaign_id",
    "current_spend",
    "suggested_spend",
    "change",
    "change_percent",
    "probability_beats_average",
    "basis",
    "return",
    "return_low",
    "return_high",
    "result_id",
)


def _record(row: PlanRow, decimals: int) -> dict[str, Any]:
    fraction = row.change_fraction
    number = row.estimate
    return {
        "campaign_id": row.campaign,
        "current_spend": round(row.current_spend, decimals),
        "suggested_spend": round(row.suggested_spend, decimals),
        "change": round(row.change, decimals),
        "change_percent": None if fraction is None else round(100 * fraction, 2),
        "probability_beats_average": (
            None
            if row.probability_beats_average is None
            else round(row.probability_beats_average, 4)
        ),
        "basis": row.basis,
        "return": _rounded(None if number is None else number.value),
        "return_low": _rounded(None if number is None else number.low),
        "return_high": _rounded(None if number is None else number.high),
        "result_id": row.result_id,
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def plan_records(plan: BudgetPlan) -> list[dict[str, Any]]:
    return [_record(row, plan.decimals) for row in plan.rows]


def _safe(text: str) -> str:
    """A spreadsheet must not read a cell as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def plan_csv(plan: BudgetPlan) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for record in plan_records(plan):
        cells = ["" if record[c] is None else record[c] for c in COLUMNS]
        writer.writerow([_safe(c) if isinstance(c, str) else c for c in cells])
    return out.getvalue()


def plan_json(plan: BudgetPlan) -> dict[str, Any]:
    average = plan.average
    return {
        "basis": plan.basis,
        "total": round(plan.total, plan.decimals),
        "limits": {
            "max_change": plan.limits.max_change,
            "min_spend": plan.limits.min_spend,
            "total": plan.limits.total,
        },
        "portfolio_average": None if average is None else average.to_json(),
        "campaigns": plan_records(plan),
        "notes": list(plan.notes),
    }


def _change(row: PlanRow, style: Style) -> str:
    fraction = row.change_fraction
    css = "up" if row.change > 0 else "down" if row.change < 0 else "muted"
    percent = "" if fraction is None else f" ({style.signed_percent(fraction)})"
    sign = "+" if row.change > 0 else ""
    return f"<td class='{css}'>{e(sign + style.money(row.change) + percent)}</td>"


def plan_html(plan: BudgetPlan, style: Style) -> str:
    ratio = "incremental ROAS" if plan.basis == "incremental_roas" else "ROAS"
    head = (
        "<tr><th>campaign</th><th>current spend</th><th>suggested spend</th><th>change</th>"
        f"<th>P(beats average)</th><th>{e(ratio)} [95%]</th></tr>"
    )
    body = []
    for row in plan.rows:
        chance = row.probability_beats_average
        shown = "held" if chance is None else style.probability(chance)
        ret = "not released" if row.estimate is None else style.released(plan.basis, row.estimate)
        body.append(
            f"<tr><td>{e(row.campaign)}</td><td>{e(style.money(row.current_spend))}</td>"
            f"<td>{e(style.money(row.suggested_spend))}</td>{_change(row, style)}"
            f"<td>{e(shown)}</td><td>{e(ret)}</td></tr>"
        )
    average = "—" if plan.average is None else style.released(plan.basis, plan.average)
    limits = plan.limits
    rule = (
        f"Total {style.money(plan.total)} (fixed); at most "
        f"{style.probability(limits.max_change)} change per campaign; at least "
        f"{style.money(limits.min_spend)} each. Portfolio average {ratio} (spend-weighted): "
        f"{average}."
    )
    x = style.probability(limits.max_change)
    how = (
        f"Each campaign moves towards its current spend times 1 + {x}"
        " x (2p - 1), where p is the probability that its return beats the portfolio "
        "average (reading each released interval as a normal distribution); one common "
        "shift then makes the total exact within the limits. A wide interval gives p near "
        "50%: little evidence, little change. Held campaigns had no released return."
    )
    notes = "".join(f"<p class='muted'>{e(n)}</p>" for n in plan.notes)
    return (
        f"<h2>Next period's budget: reallocation plan</h2><p>{e(rule)}</p>"
        f"<table><thead>{head}</thead><tbody>{''.join(body)}</tbody></table>"
        f"<p class='muted'>{e(how)}</p>{notes}"
    )
