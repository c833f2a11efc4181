"""The demo's results report: the same page as ``party-agent report``
(:func:`reports.page.render_report`), made from the demo's released results with the
synthetic world's truth attached to every number (drawn as a diamond, printed under each
cell), the pooled lift row, the budget reallocation plan from the released ROAS, and the
demo policy's contribution bounds among the privacy terms.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from policies import policy_from_yaml
from reports import Limits, Number, Released, ReportError, Row, Style, plan_budget
from reports.page import ReportContext, render_report, write_report
from reports.plan import BudgetPlan
from reports.summary import contribution_terms

POOLED_LABEL = "all campaigns (pooled)"
#: The demo's plan: the limits a first reader would try.
DEMO_LIMITS = Limits(max_change=0.2)
#: The report's order: the matching, the loop's questions, then the attribution models.
SHOWN = (
    "overlap", "funnel", "conversions", "attribution", "lift", "reach_frequency",
    "time_to_conversion",
)  # fmt: skip


@dataclass(frozen=True)
class DemoReport:
    collaboration: str
    generated_at: str
    notes: tuple[str, ...]
    policy_text: str  # the demo's policy YAML, for its contribution bounds


def with_pooled(lift: Released, pooled: Mapping[str, Number]) -> Released:
    """``lift`` with the pooled row appended (derived: not a campaign of the plan)."""
    if not pooled:
        return lift
    numbers = {c: pooled.get(c, Number(None, None, None)) for c in lift.value_columns}
    row = Row((POOLED_LABEL,), False, False, numbers, derived=True)
    return dataclasses.replace(lift, rows=(*lift.rows, row))


def demo_plan(conversions: Released) -> BudgetPlan | None:
    try:
        return plan_budget([conversions], DEMO_LIMITS)
    except ReportError:  # no ROAS released (every campaign below k): no plan to show
        return None


def render_results(
    results: Mapping[str, Released],
    pooled: Mapping[str, Number],
    report: DemoReport,
    plan: BudgetPlan | None,
) -> str:
    style = Style()
    shown = [
        with_pooled(results[name], pooled) if name == "lift" else results[name]
        for name in SHOWN
        if name in results
    ]
    policy_hash = results["conversions"].policy_hash
    terms = contribution_terms(policy_from_yaml(report.policy_text), policy_hash, style)
    context = ReportContext(
        f"Campaign results: {report.collaboration}",
        report.generated_at,
        "cleanroom demo",
        report.notes,
        terms,
    )
    return render_report(shown, style, plan, context)


def write_results_report(
    path: Path,
    results: Mapping[str, Released],
    pooled: Mapping[str, Number],
    report: DemoReport,
    plan: BudgetPlan | None,
) -> Path:
    return write_report(path, render_results(results, pooled, report, plan))
