"""One party's rules: a partial policy that can only make the collaboration stricter.

Each field is optional; a field left out adds no restriction. A party cannot change
the budget's refresh period (the collaboration policy sets it for everyone); it may
lower the budget's epsilon within that period and the lifetime cap, and narrow the
allowed epsilons (the effective set is the intersection), and narrow the attribution
models a ``conversions`` query may ask for (``attribution: {models: [...]}``; also an
intersection; the parameter bounds stay the collaboration policy's).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import partial

from policies import checks
from policies.attribution import Attribution
from policies.exact import Duration
from policies.keys import KeySet
from policies.model import Dimensions, PinnedKeys, Template


@dataclass(frozen=True)
class PartyRules:
    """Restrictions one party attaches to its own datasets (every field optional)."""

    party: str
    version: int
    templates: frozenset[Template] | None = None
    exposure_dimensions: frozenset[str] | None = None
    purchase_dimensions: frozenset[str] | None = None
    window_min: Duration | None = None
    window_max: Duration | None = None
    k: int | None = None
    epsilon_choices: frozenset[Fraction] | None = None
    budget_epsilon: Fraction | None = None
    budget_lifetime: Fraction | None = None
    max_campaigns_per_user: int | None = None
    max_purchases_per_user: int | None = None
    amount_cap: Fraction | None = None
    receivers: frozenset[str] | None = None
    pinned_keys: PinnedKeys | None = None
    keys: KeySet | None = None
    attribution_models: frozenset[Attribution] | None = None

    def __post_init__(self) -> None:
        optional: list[checks.Check] = [
            ("party", lambda: checks.slug(self.party)),
            ("version", lambda: checks.whole(self.version, 1)),
            ("dimensions", self._check_dimensions),
            ("window", self._check_window),
        ]
        if self.k is not None:
            optional.append(("k", lambda: checks.whole(self.k, 2)))
        if self.epsilon_choices is not None:
            choices = self.epsilon_choices
            optional.append(("epsilon_choices", lambda: checks.epsilon_choices(choices)))
        for path, number in (
            ("budget.epsilon", self.budget_epsilon),
            ("budget.lifetime", self.budget_lifetime),
            ("contribution.amount_cap", self.amount_cap),
        ):
            if number is not None:
                optional.append((path, partial(checks.positive, number)))
        for path, count in (
            ("contribution.max_campaigns_per_user", self.max_campaigns_per_user),
            ("contribution.max_purchases_per_user", self.max_purchases_per_user),
        ):
            if count is not None:
                optional.append((path, partial(checks.whole, count, 1)))
        if self.keys is not None:
            optional.append(("keys", self.keys.check_declared))
        if self.receivers is not None:
            receivers = self.receivers
            optional.append(("receivers", lambda: checks.parties(receivers, allow_empty=True)))
        subject = f"rules of `{self.party}`" if isinstance(self.party, str) else "party rules"
        checks.collect(optional, subject)

    def _check_dimensions(self) -> None:
        Dimensions(self.exposure_dimensions or frozenset(), self.purchase_dimensions or frozenset())

    def _check_window(self) -> None:
        low, high = self.window_min, self.window_max
        if low is not None and high is not None and low > high:
            raise ValueError(f"the minimum {low} is longer than the maximum {high}")

    @property
    def label(self) -> str:
        """How denials and provenance name these rules: ``"the retailer's policy v3"``."""
        return f"the {self.party}'s policy v{self.version}"
