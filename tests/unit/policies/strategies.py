"""Hypothesis strategies for policies and party rules (tests/property/test_policies_*)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from hypothesis import strategies as st

from policies import (
    Budget,
    ColumnKeys,
    ContributionBounds,
    Dimensions,
    Duration,
    KeySet,
    PartyRules,
    Period,
    PinnedKeys,
    Policy,
    Template,
)
from policies.model import WindowBounds

PARTIES = ("brand", "retailer", "agency")
FINGERPRINTS = tuple(" ".join([f"{i:04x}"] * 8) for i in range(4))
EXPOSURE_DIMS = ("channel", "placement", "device")
PURCHASE_DIMS = ("category", "store_region", "loyalty_tier")

durations = st.integers(1, 24 * 90).map(lambda hours: Duration(hours * 3_600))
epsilons = st.fractions(min_value=Fraction(1, 1000), max_value=10, max_denominator=1000).filter(
    lambda f: f > 0
)
choice_pool = st.sampled_from(
    [Fraction(n, d) for n, d in ((1, 10), (1, 8), (1, 4), (1, 3), (1, 2), (1, 1))]
)
choices = st.frozensets(choice_pool, min_size=1, max_size=4)
counts = st.integers(1, 200)
templates = st.frozensets(st.sampled_from(list(Template)))
periods = st.sampled_from(["daily", "weekly", "monthly", "30d", "12h"]).map(Period)
pins = st.dictionaries(
    st.sampled_from(PARTIES), st.frozensets(st.sampled_from(FINGERPRINTS), min_size=1), max_size=2
).map(PinnedKeys.of)
column_keys = st.builds(
    ColumnKeys, st.frozensets(st.sampled_from(["a", "b", "c", "d"])), st.booleans()
).filter(lambda column: bool(column.keys()))
key_sets = st.dictionaries(
    st.sampled_from(["campaign_id", *EXPOSURE_DIMS[:1], *PURCHASE_DIMS[:1]]),
    column_keys,
    max_size=3,
).map(
    lambda columns: KeySet.of(
        {n: c for n, c in columns.items() if n != "campaign_id" or not c.other}
    )
)


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    low, high = sorted([draw(durations), draw(durations)])
    allowed = draw(choices)
    budget = max(allowed) * draw(st.integers(1, 20))
    return Policy(
        name=draw(st.sampled_from(["standard", "strict", "pilot-2026"])),
        version=draw(st.integers(1, 9)),
        templates=draw(templates.filter(bool)),
        dimensions=Dimensions(
            draw(st.frozensets(st.sampled_from(EXPOSURE_DIMS))),
            draw(st.frozensets(st.sampled_from(PURCHASE_DIMS))),
        ),
        window=WindowBounds(low, high),
        k=draw(st.integers(2, 500)),
        epsilon_choices=allowed,
        budget=Budget(budget, draw(periods), draw(st.none() | epsilons.map(lambda f: f * 10))),
        contribution=ContributionBounds(draw(counts), draw(counts), draw(epsilons) * 100),
        receivers=draw(st.frozensets(st.sampled_from(PARTIES), min_size=1)),
        pinned_keys=draw(pins),
        keys=draw(key_sets),
    )


@st.composite
def party_rules(draw: st.DrawFn) -> PartyRules:
    def maybe(strategy: st.SearchStrategy[Any]) -> Any:
        return draw(st.none() | strategy)

    low, high = maybe(durations), maybe(durations)
    if low is not None and high is not None and low > high:
        low, high = high, low
    return PartyRules(
        party=draw(st.sampled_from(PARTIES)),
        version=draw(st.integers(1, 9)),
        templates=maybe(templates),
        exposure_dimensions=maybe(st.frozensets(st.sampled_from(EXPOSURE_DIMS))),
        purchase_dimensions=maybe(st.frozensets(st.sampled_from(PURCHASE_DIMS))),
        window_min=low,
        window_max=high,
        k=maybe(st.integers(2, 500)),
        epsilon_choices=maybe(choices),
        budget_epsilon=maybe(epsilons),
        budget_lifetime=maybe(epsilons.map(lambda f: f * 10)),
        max_campaigns_per_user=maybe(counts),
        max_purchases_per_user=maybe(counts),
        amount_cap=maybe(epsilons.map(lambda f: f * 100)),
        receivers=maybe(st.frozensets(st.sampled_from(PARTIES))),
        pinned_keys=maybe(pins),
        keys=maybe(key_sets),
    )
