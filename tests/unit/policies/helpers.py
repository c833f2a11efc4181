"""Small builders shared by the policy tests (unit and property)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

from policies import (
    Budget,
    ColumnKeys,
    ContributionBounds,
    Dimensions,
    Duration,
    KeySet,
    PartyRules,
    Period,
    Policy,
    Template,
    WindowBounds,
    preset,
)

NOV_23 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
FINGERPRINT = "0123 4567 89ab cdef 0123 4567 89ab cdef"
OTHER_FINGERPRINT = "ffff eeee dddd cccc bbbb aaaa 9999 8888"


def days(n: int) -> Duration:
    return Duration(n * 86_400)


CAMPAIGNS = KeySet.of({"campaign_id": ColumnKeys(frozenset({"spring", "summer"}))})


def standard() -> Policy:
    """The ``standard`` preset with two declared campaigns (the preset declares none)."""
    base = preset("standard")
    return replace(base, keys=base.keys.meet(CAMPAIGNS))


def make_policy(**changes: Any) -> Policy:
    """The ``standard`` preset, with two declared campaigns, with some fields replaced."""
    base = standard()
    fields = {
        "name": base.name,
        "version": base.version,
        "templates": base.templates,
        "dimensions": base.dimensions,
        "window": base.window,
        "k": base.k,
        "epsilon_choices": base.epsilon_choices,
        "budget": base.budget,
        "contribution": base.contribution,
        "receivers": base.receivers,
        "pinned_keys": base.pinned_keys,
        "keys": base.keys,
        "attribution": base.attribution,
    }
    fields.update(changes)
    return Policy(**fields)


def retailer_rules(**fields: Any) -> PartyRules:
    return PartyRules(party="retailer", version=3, **fields)


def brand_rules(**fields: Any) -> PartyRules:
    return PartyRules(party="brand", version=2, **fields)


STANDARD_PARTS = {
    "templates": frozenset(Template),
    "dimensions": Dimensions(frozenset({"channel"}), frozenset({"category", "store_region"})),
    "window": WindowBounds(days(1), days(30)),
    "budget": Budget(Fraction(5), Period("monthly"), Fraction(30)),
    "contribution": ContributionBounds(20, 50, Fraction(500)),
}
