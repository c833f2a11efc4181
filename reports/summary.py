"""The report's summary lines and its privacy terms, from released results only.

- **Match rate**: matched people over the exposures side's people (overlap). Its interval
  divides the interval ends (``matched.low / exposures.high`` to ``matched.high /
  exposures.low``), which covers at least as well as the two intervals together.
- **Beat the holdout**: a campaign beat its holdout when its absolute lift's 95%
  interval lies above zero, fell below it when the interval lies below zero; every
  other campaign is undecided (no evidence either way at this noise and size).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from policies import Policy
from reports.number import Number
from reports.released import Released
from reports.sections import e
from reports.style import Style


def match_rate(overlap: Released) -> tuple[Number, Number] | None:
    """(matched people, matched share of the exposures side), or None when withheld."""
    rows = {row.key: row for row in overlap.rows if row.campaign_row}
    matched, exposed = rows.get(("matched",)), rows.get(("exposures",))
    if matched is None or exposed is None:
        return None
    m, x = _ends(matched.numbers["users"]), _ends(exposed.numbers["users"])
    if m is None or x is None or not x[0] > 0:
        return None
    low = max(m[1], 0.0) / x[2] if x[2] > 0 else 0.0
    high = min(m[2] / x[1], 1.0) if x[1] > 0 else 1.0
    return matched.numbers["users"], Number(m[0] / x[0], low, max(high, low))


def _ends(number: Number) -> tuple[float, float, float] | None:
    if number.value is None or number.low is None or number.high is None:
        return None
    return number.value, number.low, number.high


@dataclass(frozen=True)
class HoldoutSummary:
    beat: tuple[str, ...]
    below: tuple[str, ...]
    undecided: tuple[str, ...]
    withheld: tuple[str, ...]


def holdout_summary(lift: Released) -> HoldoutSummary:
    beat, below, undecided, withheld = [], [], [], []
    for row in lift.rows:
        if row.remainder or row.derived:
            continue
        number = row.numbers.get("absolute_lift")
        if row.suppressed or number is None or number.low is None or number.high is None:
            withheld.append(row.label)
        elif number.low > 0:
            beat.append(row.label)
        elif number.high < 0:
            below.append(row.label)
        else:
            undecided.append(row.label)
    return HoldoutSummary(tuple(beat), tuple(below), tuple(undecided), tuple(withheld))


def _names(names: Sequence[str]) -> str:
    return ", ".join(names) if names else "none"


def summary_html(results: Sequence[Released], style: Style) -> str:
    lines = []
    for overlap in (r for r in results if r.template == "overlap"):
        found = match_rate(overlap)
        if found is not None:
            people, share = found
            lines.append(
                f"Match rate: {style.released('match_rate', share)} of the exposures "
                f"side's people were found at the other party (matched people: "
                f"{style.released('users', people)}; result {overlap.result_id})."
            )
    for funnel in (r for r in results if r.template == "funnel"):
        shown = [
            f"{row.label} {style.released('match_rate', row.numbers['match_rate'])}"
            for row in funnel.rows
            if row.campaign_row and "match_rate" in row.numbers
        ]
        if shown:
            lines.append(
                "Match rate per campaign (exposed people who bought anything at the "
                f"retailer): {'; '.join(shown)} (result {funnel.result_id})."
            )
    for lift in (r for r in results if r.template == "lift"):
        s = holdout_summary(lift)
        total = len(s.beat) + len(s.below) + len(s.undecided) + len(s.withheld)
        lines.append(
            f"Beat their holdout (lift interval above zero): {len(s.beat)} of {total} "
            f"campaigns: {_names(s.beat)}. Below their holdout: {_names(s.below)}. "
            f"Undecided (interval contains zero): {len(s.undecided)}. "
            f"Withheld (below k): {len(s.withheld)} (result {lift.result_id})."
        )
    return "".join(f"<p class='headline'>{e(line)}</p>" for line in lines)


def total_epsilon(results: Sequence[Released]) -> Fraction:
    return sum((Fraction(r.epsilon) for r in results), Fraction(0))


def privacy_html(results: Sequence[Released], terms: Sequence[tuple[str, str]]) -> str:
    """Epsilon per result and in all, k, and every mechanism's sensitivity and scale."""
    total = total_epsilon(results)
    used = sorted({m.mechanism.replace("_", " ") for r in results for m in r.mechanisms})
    parts = [
        "<p>Every number above was released by the clean room's one release path: "
        f"differential-privacy noise ({e(' and '.join(used) or 'none')}), "
        "a minimum noisy group size k, "
        "and the collaboration's privacy budget. This page is post-processing of those "
        "released numbers: making it charged no budget and read nothing else. "
        f"Epsilon spent by the results shown: {e(_fraction(total))} "
        f"({float(total):.3g}) in all.</p>"
    ]
    if terms:
        rows = "".join(f"<tr><td>{e(k)}</td><td>{e(v)}</td></tr>" for k, v in terms)
        parts.append(f"<table class='terms'><tbody>{rows}</tbody></table>")
    head = (
        "<tr><th>result</th><th>template</th><th>epsilon</th><th>k</th><th>statistic</th>"
        "<th>mechanism</th><th>sensitivity</th><th>epsilon (statistic)</th><th>scale</th></tr>"
    )
    body = []
    for r in results:
        first = (
            f"<td>{e(r.result_id)}</td><td>{e(r.template)}</td><td>{e(r.epsilon)}</td>"
            f"<td>{r.k}</td>"
        )
        for i, m in enumerate(r.mechanisms or ()):
            lead = first if i == 0 else "<td></td>" * 4
            body.append(
                f"<tr>{lead}<td>{e(m.statistic)}</td><td>{e(m.mechanism.replace('_', ' '))}</td>"
                f"<td>{_plain(m.sensitivity)}</td><td>{e(m.epsilon)}</td><td>{_plain(m.scale)}</td></tr>"
            )
        if not r.mechanisms:
            body.append(f"<tr>{first}<td colspan='5'>—</td></tr>")
    parts.append(f"<table><thead>{head}</thead><tbody>{''.join(body)}</tbody></table>")
    parts.append(
        "<p class='muted'>Sensitivity: the most one person can change a statistic under "
        "the policy's contribution bounds (campaigns and purchases per person, the amount "
        "cap). The discrete Laplace scale is sensitivity over epsilon; the discrete "
        "Gaussian's is its standard deviation, set by the statistic's share of the "
        "query's zCDP rho (converted to epsilon at the policy's delta).</p>"
    )
    return "".join(parts)


def _plain(value: float) -> str:
    """``400,000`` or ``2.5``: no exponent notation."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _fraction(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def contribution_terms(
    policy: Policy, policy_hash: str, style: Style
) -> tuple[tuple[str, str], ...]:
    """The policy's contribution bounds as report terms (party rules can only tighten)."""
    c = policy.contribution
    source = f"policy {policy.name} v{policy.version} ({policy_hash[:12]}…)"
    return (
        ("contribution bounds from", f"{source}; parties' rules can only tighten them"),
        ("campaigns per person (at most)", style.count(c.max_campaigns_per_user)),
        ("purchases per person (at most)", style.count(c.max_purchases_per_user)),
        ("amount per purchase (capped at)", style.money(float(c.amount_cap))),
        ("minimum group size k", style.count(policy.k)),
    )
