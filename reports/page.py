"""The report: one self-contained HTML page (no script, no stylesheet or font from
elsewhere, charts as inline SVG) from stored results and, optionally, a budget plan.

Order: summary (match rate, who beat their holdout), each result (its template's own
section from :data:`reports.sections.SECTIONS`, then every column as a table and charts),
the reallocation plan, the privacy terms. Every text is escaped.
:func:`write_report` writes a temp file and renames it, so a failure leaves no half page.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reports.plan import BudgetPlan
from reports.plan_view import plan_html
from reports.released import Released
from reports.sections import SECTIONS, e, generic_section
from reports.style import Style
from reports.summary import privacy_html, summary_html

_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#1d2430;max-width:1100px}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d6dbe3}
table{border-collapse:collapse;width:100%;font-size:.85rem;margin:.5rem 0}
th,td{border-bottom:1px solid #e4e7ec;padding:.3rem .5rem;text-align:right;vertical-align:top}
th:first-child,td:first-child{text-align:left}th{background:#f4f6f9}
table.terms{width:auto}table.terms td{text-align:left}
.muted{color:#667085}.truth{color:#0e7490;font-size:.8rem}.suppressed{color:#98a2b3}
.mono{font-family:monospace}.headline{font-size:1.05rem}.up{color:#047857}.down{color:#b42318}
svg{max-width:100%;height:auto;display:block;margin:.5rem 0}details{margin:.5rem 0}
figure{margin:1rem 0}figcaption{font-weight:600;font-size:.9rem}
"""
TITLES = {
    "overlap": "Overlap: people on each side and in both",
    "conversions": "Conversions per campaign",
    "lift": "Lift: exposed vs holdout",
    "reach_frequency": "Reach and frequency",
    "time_to_conversion": "Time to conversion",
    "funnel": "Funnel: exposed to repeat purchase",
}


def _title(result: Released) -> str:
    if result.template == "conversions" and any("." in c for c in result.value_columns):
        return "Conversions per campaign: attribution models compared"
    return TITLES.get(result.template, result.template.replace("_", " ").capitalize())


@dataclass(frozen=True)
class ReportContext:
    """What the page says about itself: title, when and by what it was made, notes, and
    privacy terms the caller knows (such as the policy's contribution bounds)."""

    title: str = "Campaign results"
    generated_at: str = ""
    generated_by: str = "party-agent report"
    notes: tuple[str, ...] = ()
    terms: tuple[tuple[str, str], ...] = ()


def _result(result: Released, style: Style) -> str:
    title = _title(result)
    section = SECTIONS.get(result.template)
    parts = [f"<h2 id='{e(result.result_id)}'>{e(title)}</h2>"]
    if section is not None:
        parts.append(section(result, style))
    parts.append(generic_section(result, style, folded=section is not None))
    return "".join(parts)


def render_report(
    results: Sequence[Released],
    style: Style,
    plan: BudgetPlan | None = None,
    context: ReportContext | None = None,
) -> str:
    """The whole page as text."""
    context = context or ReportContext()
    made = f"Generated {context.generated_at} by " if context.generated_at else "Made by "
    parts = [
        "<!DOCTYPE html><html lang='",
        e(style.locale),
        "'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{e(context.title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(context.title)}</h1>",
        f"<p class='muted'>{e(made)}<span class='mono'>{e(context.generated_by)}</span> "
        f"from {len(results)} released result(s); amounts in {e(style.currency)}. Every "
        "number carries its 95% interval.</p>",
        summary_html(results, style),
        *(f"<p class='muted'>{e(note)}</p>" for note in context.notes),
        *(_result(result, style) for result in results),
    ]
    if plan is not None:
        parts.append(plan_html(plan, style))
    parts += ["<h2>Privacy terms</h2>", privacy_html(results, context.terms), "</body></html>"]
    return "".join(parts)


def write_report(path: Path | str, page: str) -> Path:
    """Write ``page`` to ``path`` through a temp file in the same directory (atomic)."""
    path = Path(path)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(page)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path
