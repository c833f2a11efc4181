"""The budget plan keeps the user's limits for any released returns: the total is exact
(in minor units), no campaign moves more than the allowed share of its baseline, none
falls below the minimum spend, and a higher chance of beating the average never gets a
smaller relative change. Or the plan is refused as infeasible, and only when it is."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from reports import BudgetPlan, Limits, PlanInfeasible, plan_budget
from tests.unit.reports.results import conversions, roas_row

campaign = st.tuples(
    st.integers(100, 2_000_000).map(lambda cents: cents / 100),  # spend, whole cents
    st.floats(0, 8),  # ROAS
    st.floats(0.01, 5),  # half-width of the ROAS interval
)
limits = st.builds(
    Limits,
    st.sampled_from([0.0, 0.05, 0.2, 0.5, 1.0]),
    st.sampled_from([0.0, 10.0, 1_000.0]),
    st.none() | st.floats(1_000, 5_000_000),
)


def feasible(spends: list[float], limits: Limits, unit: int) -> bool:
    """Whether some allocation in whole units meets the limits (the plan's own bounds)."""
    current = [round(s * unit) for s in spends]
    goal = round(limits.total * unit) if limits.total is not None else sum(current)
    floor = math.ceil(limits.min_spend * unit - 1e-9)
    lows, highs = [], []
    for b in (c * goal / sum(current) for c in current):
        low = max(floor, math.ceil(b * (1 - limits.max_change) - 1e-9))
        lows.append(low)
        highs.append(max(math.floor(b * (1 + limits.max_change) + 1e-9), low))
    return sum(lows) <= goal <= sum(highs)


def multipliers(plan: BudgetPlan, unit: int) -> list[tuple[float, float, float]]:
    """(probability, suggested / baseline, rounding slack) of campaigns above the floor."""
    scale = plan.total / sum(r.current_spend for r in plan.rows)
    out = []
    for r in plan.rows:
        base = r.current_spend * scale
        if (
            r.probability_beats_average is not None
            and r.suggested_spend > plan.limits.min_spend + 1 / unit
        ):
            out.append((r.probability_beats_average, r.suggested_spend / base, 1 / (unit * base)))
    return out


@given(st.lists(campaign, min_size=1, max_size=12), limits, st.sampled_from([0, 2]))
def test_limits_hold_or_the_plan_is_refused(
    campaigns: list[tuple[float, float, float]], limits: Limits, decimals: int
) -> None:
    unit = 10**decimals
    spends = [max(round(s * unit), 1) / unit for s, _, _ in campaigns]
    rows = [
        roas_row(f"c{i}", r * s, s, h * s)
        for i, ((_, r, h), s) in enumerate(zip(campaigns, spends, strict=True))
    ]
    try:
        plan = plan_budget([conversions(*rows)], limits, decimals=decimals)
    except PlanInfeasible:
        assert not feasible(spends, limits, unit)
        return
    assert feasible(spends, limits, unit)
    units = [r.suggested_spend * unit for r in plan.rows]
    assert all(abs(u - round(u)) < 1e-6 for u in units)  # whole minor units
    assert sum(round(u) for u in units) == round(plan.total * unit)  # the total, exactly
    scale = plan.total / sum(r.current_spend for r in plan.rows)
    for r in plan.rows:
        base = r.current_spend * scale
        assert r.suggested_spend >= limits.min_spend - 1e-9
        if r.suggested_spend > limits.min_spend + 1 / unit:  # the floor did not bind
            assert abs(r.suggested_spend - base) <= limits.max_change * base + 1 / unit + 1e-6
    found = multipliers(plan, unit)
    for p1, m1, slack1 in found:
        for p2, m2, slack2 in found:
            if p1 > p2:
                assert m1 >= m2 - slack1 - slack2 - 1e-9
