"""What "stricter" means, field by field: one table used by merge, diff and the tests.

A value ``a`` is *at least as strict* as ``b`` when every query ``a`` allows, ``b``
allows too. Per field:

- larger is stricter: ``k``, ``window.min``;
- smaller is stricter: the budget, ``window.max``, contribution bounds, the amount cap;
- a cap is stricter than none, a smaller cap stricter than a larger: ``budget.lifetime``;
- a subset is stricter: templates, dimensions, receivers, the allowed epsilons;
- a longer refresh period is stricter (a month counts as 28 to 31 days);
- pinned keys: pinning a party, or pinning it to fewer keys, is stricter;
- declared group keys: fewer values (or no ``other`` bucket) for a column is stricter,
  and so is declaring keys for a column that had none (see :mod:`policies.keys`);
- attribution: fewer models and narrower parameter bounds are stricter (set by the
  collaboration policy); ``attribution.models``: a subset is stricter, and party rules
  may narrow it;
- noise: pure DP (``laplace``) is stricter than ``gaussian`` (an (epsilon, 0) promise
  implies every (epsilon, delta) one), and a smaller delta stricter than a larger one
  (collaboration policy only).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any

from policies.exact import human_number
from policies.keys import KeySet
from policies.model import PinnedKeys
from policies.noise import NoiseRules
from policies.periods import Period
from policies.rules import PartyRules


class Direction(StrEnum):
    """How a field changed between two policies."""

    SAME = "same"
    STRICTER = "stricter"
    LOOSER = "looser"
    MIXED = "changed"


class Order(Enum):
    HIGHER = "larger is stricter"
    LOWER = "smaller is stricter"
    CAP = "a smaller cap is stricter; no cap is the loosest"
    SUBSET = "fewer is stricter"
    PERIOD = "longer is stricter"
    PINS = "fewer keys is stricter"
    KEYS = "fewer group keys is stricter"
    ATTRIBUTION = "fewer models and narrower bounds are stricter"
    NOISE = "pure DP, then a smaller delta, is stricter"


def at_least_as_strict(order: Order, a: Any, b: Any) -> bool:
    """Whether value ``a`` allows nothing that ``b`` forbids."""
    if order is Order.HIGHER:
        return bool(a >= b)
    if order is Order.CAP:
        return b is None or (a is not None and bool(a <= b))
    if order in (Order.LOWER, Order.SUBSET):
        return bool(a <= b)
    if order is Order.PERIOD:
        return bool(a == b or a.length_range()[0] >= b.length_range()[1])
    if order in (Order.KEYS, Order.ATTRIBUTION):
        return bool(a.within(b))
    if order is Order.NOISE:
        return a.delta is None or (b.delta is not None and bool(a.delta <= b.delta))
    pins_a, pins_b = a.as_dict(), b.as_dict()
    return all(p in pins_a and pins_a[p] <= fps for p, fps in pins_b.items())


def strictest(order: Order, a: Any, b: Any) -> Any:
    """The strictest value that is at least as strict as both (their meet)."""
    if order is Order.HIGHER:
        return max(a, b)
    if order is Order.LOWER:
        return min(a, b)
    if order is Order.CAP:
        return b if a is None else a if b is None else min(a, b)
    if order is Order.SUBSET:
        return a & b
    if order is Order.KEYS:
        return a.meet(b)
    if order is Order.PINS:
        pins_a, pins_b = a.as_dict(), b.as_dict()
        merged = {p: pins_a.get(p, fps) & fps for p, fps in pins_b.items()}
        return PinnedKeys.of({**pins_a, **merged})
    raise ValueError("refresh periods are not merged: the collaboration policy sets them")


def compare(order: Order, old: Any, new: Any) -> Direction:
    """Whether ``new`` is the same as, stricter than, looser than or incomparable to ``old``."""
    if old == new:
        return Direction.SAME
    stricter, looser = at_least_as_strict(order, new, old), at_least_as_strict(order, old, new)
    if stricter and not looser:
        return Direction.STRICTER
    if looser and not stricter:
        return Direction.LOOSER
    return Direction.MIXED


def _names(values: Any) -> str:
    return ", ".join(sorted(str(v) for v in values)) or "none"


def _numbers(values: Any) -> str:
    return ", ".join(human_number(v) for v in sorted(values)) or "none"


def _cap(value: Any) -> str:
    return "none" if value is None else human_number(value)


def _pins(pins: PinnedKeys) -> str:
    return "; ".join(f"{p}: {', '.join(sorted(fps)) or 'no key'}" for p, fps in pins.entries) or (
        "none"
    )


def _noise(noise: NoiseRules) -> str:
    delta = noise.delta
    return (
        str(noise.mechanism) if delta is None else f"{noise.mechanism}, delta {human_number(delta)}"
    )


def _keys(keys: KeySet) -> str:
    return "; ".join(f"{name}: {column.short()}" for name, column in keys.columns) or "none"


def _attribution_models(policy: Any) -> Any:
    """The models allowed: a policy's own, or an effective policy's narrowed set."""
    narrowed = getattr(policy, "attribution_models", None)  # EffectivePolicy only
    return policy.attribution.models if narrowed is None else narrowed


@dataclass(frozen=True)
class Leaf:
    """One field of a policy: where it lives, how it orders and how it reads."""

    path: str
    noun: str
    order: Order
    of_policy: Callable[[Any], Any]
    of_rules: Callable[[PartyRules], Any] | None
    text: Callable[[Any], str]


LEAVES: tuple[Leaf, ...] = (
    Leaf("templates", "allowed templates", Order.SUBSET,
         lambda p: p.templates, lambda r: r.templates, _names),
    Leaf("dimensions.exposures", "exposure dimensions", Order.SUBSET,
         lambda p: p.dimensions.exposures, lambda r: r.exposure_dimensions, _names),
    Leaf("dimensions.purchases", "purchase dimensions", Order.SUBSET,
         lambda p: p.dimensions.purchases, lambda r: r.purchase_dimensions, _names),
    Leaf("window.min", "shortest attribution window", Order.HIGHER,
         lambda p: p.window.min, lambda r: r.window_min, str),
    Leaf("window.max", "longest attribution window", Order.LOWER,
         lambda p: p.window.max, lambda r: r.window_max, str),
    Leaf("k", "minimum group size k", Order.HIGHER, lambda p: p.k, lambda r: r.k, str),
    Leaf("epsilon_choices", "allowed epsilons per query", Order.SUBSET,
         lambda p: p.epsilon_choices, lambda r: r.epsilon_choices, _numbers),
    Leaf("budget.epsilon", "budget per period", Order.LOWER,
         lambda p: p.budget.epsilon, lambda r: r.budget_epsilon, human_number),
    Leaf("budget.lifetime", "lifetime budget cap", Order.CAP,
         lambda p: p.budget.lifetime, lambda r: r.budget_lifetime, _cap),
    Leaf("budget.period", "budget refresh period", Order.PERIOD,
         lambda p: p.budget.period, None, Period.__str__),
    Leaf("contribution.max_campaigns_per_user", "campaigns counted per person", Order.LOWER,
         lambda p: p.contribution.max_campaigns_per_user,
         lambda r: r.max_campaigns_per_user, str),
    Leaf("contribution.max_purchases_per_user", "purchases counted per person", Order.LOWER,
         lambda p: p.contribution.max_purchases_per_user,
         lambda r: r.max_purchases_per_user, str),
    Leaf("contribution.amount_cap", "cap on each purchase amount", Order.LOWER,
         lambda p: p.contribution.amount_cap, lambda r: r.amount_cap, human_number),
    Leaf("receivers", "result receivers", Order.SUBSET,
         lambda p: p.receivers, lambda r: r.receivers, _names),
    Leaf("pinned_keys", "pinned key fingerprints", Order.PINS,
         lambda p: p.pinned_keys, lambda r: r.pinned_keys, _pins),
    Leaf("keys", "declared group keys", Order.KEYS, lambda p: p.keys, lambda r: r.keys, _keys),
    Leaf("attribution", "attribution models", Order.ATTRIBUTION,
         lambda p: p.attribution, None, lambda a: a.short()),
    Leaf("attribution.models", "allowed attribution models", Order.SUBSET,
         _attribution_models, lambda r: r.attribution_models, _names),
    Leaf("noise", "noise mechanism", Order.NOISE, lambda p: p.noise, None, _noise),
)  # fmt: skip

LEAF = {leaf.path: leaf for leaf in LEAVES}
