"""The compliance report: one self-contained HTML page (no scripts, no network).

Input is plain data (audit entries and policy summaries) so the page can be rendered
from a live server or from an export. Budget use is drawn as an inline SVG step line
against the budget line.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction

from cleanroom.audit.chain import AuditRecord

_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#1d2430;max-width:1100px}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d6dbe3}
table{border-collapse:collapse;width:100%;font-size:.85rem}
th,td{border-bottom:1px solid #e4e7ec;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f6f9}.denied{color:#a1271b}.ok{color:#1b6b3a}.mono{font-family:monospace}
.muted{color:#667085}
"""


@dataclass(frozen=True)
class PolicyVersion:
    """One policy version as the report shows it."""

    version: str
    policy_hash: str
    proposed_at: str
    description: list[str]
    approvals: list[tuple[str, str]] = field(default_factory=list)  # (party, time)
    changes: list[str] = field(default_factory=list)  # plain-words diff to the previous
    effective: bool = True  # every party_admin has signed it


@dataclass(frozen=True)
class ReportInput:
    collaboration: str
    generated_at: str
    entries: list[AuditRecord]
    policies: list[PolicyVersion]
    current: PolicyVersion | None = None  # the policy in force (default: the newest)
    budget_per_period: Fraction | None = None
    period_start: Callable[[datetime], datetime] | None = None  # budget refresh boundaries
    verified: str | None = None  # summary line of the chain verification


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _fraction_text(value: str | None) -> str:
    if value is None:
        return ""
    exact = Fraction(value)
    return f"{float(exact):.4g}" if exact.denominator != 1 else str(exact.numerator)


def render_report(data: ReportInput) -> str:
    """The whole page as a string."""
    current = data.current or (data.policies[-1] if data.policies else None)
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Compliance report: {_e(data.collaboration)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Compliance report: {_e(data.collaboration)}</h1>",
        f"<p class='muted'>Generated {_e(data.generated_at)}.",
        f" {_e(data.verified)}</p>" if data.verified else "</p>",
        _current_policy(current),
        _policy_history(data.policies),
        "<h2>Budget spent over time</h2>",
        budget_chart(data.entries, data.budget_per_period, data.period_start),
        _query_table(data.entries),
        _activity_table(data.entries),
        "</body></html>",
    ]
    return "".join(parts)


def _current_policy(policy: PolicyVersion | None) -> str:
    if policy is None:
        return "<h2>Current policy</h2><p>No policy has been proposed.</p>"
    lines = "".join(f"<li>{_e(line)}</li>" for line in policy.description)
    approvals = "".join(
        f"<tr><td>{_e(party)}</td><td>{_e(time)}</td></tr>" for party, time in policy.approvals
    )
    return (
        f"<h2>Current policy (version {_e(policy.version)})</h2>"
        f"<p class='mono'>hash {_e(policy.policy_hash)}</p><ul>{lines}</ul>"
        f"<h2>Approvals of this version</h2><table id='approvals'>"
        f"<tr><th>party</th><th>signed at</th></tr>{approvals}</table>"
    )


def _policy_history(policies: list[PolicyVersion]) -> str:
    rows = "".join(
        f"<tr><td>{_e(p.version)}</td><td>{_e(p.proposed_at)}</td>"
        f"<td class='mono'>{_e(p.policy_hash[:16])}…</td>"
        f"<td>{len(p.approvals)}</td>"
        f"<td>{'<br>'.join(_e(c) for c in p.changes) or 'first version'}</td></tr>"
        for p in policies
    )
    return (
        "<h2>Policy history</h2><table id='policy-history'><tr><th>version</th>"
        f"<th>proposed</th><th>hash</th><th>approvals</th><th>changes</th></tr>{rows}</table>"
    )


def _param(value: object) -> object:
    """Datasets as ``name vN``; everything else as it is."""
    if isinstance(value, list) and all(isinstance(v, dict) and "name" in v for v in value):
        return " + ".join(f"{v['name']} v{v.get('version', '?')}" for v in value)
    return value


def _query_facts(entry: AuditRecord) -> tuple[str, str, str]:
    """Template, parameters and denial reasons of a query entry, in words."""
    details = entry.details or {}
    request = details.get("request") or {}
    template = str(request.get("template") or details.get("template") or "")
    shown = {k: _param(v) for k, v in request.items() if k not in ("template", "requester") and v}
    params = ", ".join(
        f"{k}={v}" for k, v in sorted({**shown, **details.get("parameters", {})}.items())
    )
    reasons = details.get("reasons") or ([details["reason"]] if details.get("reason") else [])
    return template, params, "; ".join(str(r) for r in reasons)


def _query_table(entries: list[AuditRecord]) -> str:
    rows = []
    for entry in entries:
        if not entry.action.startswith("query."):
            continue
        template, params, reasons = _query_facts(entry)
        css = "denied" if entry.outcome == "denied" else "ok"
        rows.append(
            f"<tr><td>{entry.seq}</td><td>{_e(entry.time)}</td><td>{_e(entry.actor)}</td>"
            f"<td>{_e(template)}</td><td>{_e(params)}</td>"
            f"<td>{_e(_fraction_text(entry.epsilon_charged))}</td>"
            f"<td>{_e(entry.rows_suppressed)}</td>"
            f"<td class='{css}'>{_e(entry.outcome)}</td>"
            f"<td>{_e(reasons)}</td></tr>"
        )
    header = (
        "<tr><th>seq</th><th>time</th><th>who</th><th>template</th><th>parameters</th>"
        "<th>epsilon</th><th>rows suppressed</th><th>outcome</th><th>reason</th></tr>"
    )
    body = "".join(rows) or "<tr><td colspan='9'>No queries yet.</td></tr>"
    return f"<h2>Query log</h2><table id='queries'>{header}{body}</table>"


def _activity_table(entries: list[AuditRecord]) -> str:
    rows = "".join(
        f"<tr><td>{e.seq}</td><td>{_e(e.time)}</td><td>{_e(e.actor)}</td>"
        f"<td>{_e(e.action)}</td><td>{_e(e.outcome)}</td></tr>"
        for e in entries
        if not e.action.startswith("query.")
    )
    return (
        "<h2>Other activity</h2><table id='activity'><tr><th>seq</th><th>time</th>"
        f"<th>who</th><th>action</th><th>outcome</th></tr>{rows}</table>"
    )


def budget_chart(
    entries: list[AuditRecord],
    budget: Fraction | None,
    period_start: Callable[[datetime], datetime] | None = None,
) -> str:
    """Epsilon charged in the current budget period over time (inline SVG), with the
    budget line; the curve drops back to zero where a new period starts."""
    charges = [
        (datetime.fromisoformat(e.time.replace("Z", "+00:00")), Fraction(e.epsilon_charged))
        for e in entries
        if e.epsilon_charged is not None and e.outcome != "denied"
    ]
    if not charges:
        return "<p id='budget-chart'>No privacy budget has been spent yet.</p>"
    width, height, pad = 720, 260, 40
    start, end = charges[0][0], charges[-1][0]
    span = max((end - start).total_seconds(), 1.0)
    levels = _period_levels(charges, period_start)
    top = float(max([*levels, budget or Fraction(0)])) * 1.1 or 1.0

    def x(when: datetime) -> float:
        return pad + (width - 2 * pad) * (when - start).total_seconds() / span

    def y(value: Fraction) -> float:
        return height - pad - (height - 2 * pad) * float(value) / top

    spent, points = Fraction(0), [f"{x(start):.1f},{y(Fraction(0)):.1f}"]
    for (when, charge), level in zip(charges, levels, strict=True):
        points.append(f"{x(when):.1f},{y(level - charge):.1f}")
        points.append(f"{x(when):.1f},{y(level):.1f}")
        spent += charge
    lines = [
        f"<svg id='budget-chart' xmlns='http://www.w3.org/2000/svg' width='{width}' "
        f"height='{height}' role='img' aria-label='epsilon spent over time'>",
        f"<line x1='{pad}' y1='{height - pad}' x2='{width - pad}' y2='{height - pad}' "
        "stroke='#98a2b3'/>",
        f"<polyline class='spent' fill='none' stroke='#2563eb' stroke-width='2' "
        f"points='{' '.join(points)}'/>",
        f"<text x='{pad}' y='{pad - 12}' font-size='12'>epsilon spent in all: "
        f"{float(spent):.4g}</text>",
    ]
    if budget is not None:
        lines.append(
            f"<line class='budget' x1='{pad}' y1='{y(budget):.1f}' x2='{width - pad}' "
            f"y2='{y(budget):.1f}' stroke='#a1271b' stroke-dasharray='6 4'/>"
            f"<text x='{width - pad - 140}' y='{y(budget) - 6:.1f}' font-size='12' "
            f"fill='#a1271b'>budget {float(budget):.4g} per period</text>"
        )
    stamp = "%Y-%m-%d" if span > 2 * 86_400 else "%Y-%m-%d %H:%M:%S"
    lines.append(
        f"<text x='{pad}' y='{height - 12}' font-size='11'>{_e(start.strftime(stamp))}</text>"
        f"<text x='{width - pad - 120}' y='{height - 12}' font-size='11'>"
        f"{_e(end.strftime(stamp))}</text></svg>"
    )
    return "".join(lines)


def _period_levels(
    charges: list[tuple[datetime, Fraction]],
    period_start: Callable[[datetime], datetime] | None,
) -> list[Fraction]:
    """Spent-in-period after each charge (cumulative when no periods are given)."""
    levels, level, period = [], Fraction(0), None
    for when, charge in charges:
        current = period_start(when) if period_start else None
        if current != period:
            level, period = Fraction(0), current
        level += charge
        levels.append(level)
    return levels
