"""The effective policy of a query: the collaboration policy tightened by party rules.

``effective_policy(base, rules)`` takes, field by field, the strictest value of the
base policy and every party's rules (see :mod:`policies.order` for what "strictest"
means per field) and remembers which document set each field. On the values it is
commutative and idempotent in the rules: their order and repeats do not matter.

The allowed epsilons are the intersection of every document's list, and one extra
rule applies: no allowed epsilon exceeds the budget per period, so when a party lowers
the budget below some choices, those choices drop out. The result need not be a valid
:class:`Policy`: two parties may leave no window, no receiver or no epsilon in common,
and then every query is denied with the sources named.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from policies.attribution import Attribution, AttributionRules
from policies.exact import human_number
from policies.keys import KeySet
from policies.model import (
    Budget,
    ContributionBounds,
    Dimensions,
    MatchProtocol,
    PinnedKeys,
    Policy,
    Template,
    WindowBounds,
)
from policies.noise import NoiseRules
from policies.order import LEAF, LEAVES, strictest
from policies.rules import PartyRules


@dataclass(frozen=True)
class Source:
    """The document a field value came from."""

    label: str
    party: str | None
    version: int

    def __str__(self) -> str:
        return self.label


def source_of(document: Policy | PartyRules) -> Source:
    if isinstance(document, Policy):
        return Source(document.label, None, document.version)
    return Source(document.label, document.party, document.version)


@dataclass(frozen=True)
class EffectivePolicy:
    """The rules that apply to one query, with the source of every field."""

    base: Policy
    rules: tuple[PartyRules, ...]
    templates: frozenset[Template]
    dimensions: Dimensions
    window: WindowBounds
    k: int
    epsilon_choices: frozenset[Fraction]
    budget: Budget
    contribution: ContributionBounds
    receivers: frozenset[str]
    pinned_keys: PinnedKeys
    keys: KeySet
    sources: tuple[tuple[str, Source], ...]
    attribution: AttributionRules = field(default_factory=AttributionRules)
    #: The models a query may ask for: the policy's, narrowed by party rules (may be empty).
    attribution_models: frozenset[Attribution] | None = None

    @property
    def allowed_models(self) -> frozenset[Attribution]:
        """``attribution_models``, or the policy's own models where none was merged."""
        if self.attribution_models is None:
            return self.attribution.models
        return self.attribution_models

    @property
    def name(self) -> str:
        return self.base.name

    @property
    def protocol(self) -> MatchProtocol:
        """The collaboration policy's matching protocol (party rules cannot change it)."""
        return self.base.protocol

    @property
    def noise(self) -> NoiseRules:
        """The collaboration policy's noise mechanism (party rules cannot change it)."""
        return self.base.noise

    @property
    def version(self) -> int:
        return self.base.version

    def source(self, path: str) -> Source:
        """Which document set the field at ``path`` (e.g. ``"k"``, ``"window.max"``)."""
        return dict(self.sources)[path]

    def layers(self, path: str) -> list[tuple[Source, Any]]:
        """Every document's own value of the field (``None`` where a party set none)."""
        leaf = LEAF[path]
        out: list[tuple[Source, Any]] = [(source_of(self.base), leaf.of_policy(self.base))]
        if leaf.of_rules is not None:
            out.extend((source_of(rule), leaf.of_rules(rule)) for rule in self.rules)
        return out

    def excluded_by(self, path: str, element: object) -> Source | None:
        """The first document whose set at ``path`` leaves ``element`` out."""
        for source, value in self.layers(path):
            if value is not None and element not in value:
                return source
        return None

    def provenance(self) -> list[str]:
        """One line per field: ``"k = 100 from the retailer's policy v3"``."""
        return [
            f"{leaf.path} = {leaf.text(leaf.of_policy(self))} from {self.source(leaf.path)}"
            for leaf in LEAVES
        ]


def _merge_leaf(path: str, base: Policy, rules: Iterable[PartyRules]) -> tuple[Any, Source]:
    leaf = LEAF[path]
    value, source = leaf.of_policy(base), source_of(base)
    if leaf.of_rules is None:
        return value, source
    for rule in rules:
        theirs = leaf.of_rules(rule)
        if theirs is None:
            continue
        tighter = strictest(leaf.order, value, theirs)
        if tighter != value:
            value, source = tighter, source_of(rule)
    return value, source


def effective_policy(base: Policy, rules: Iterable[PartyRules] = ()) -> EffectivePolicy:
    """The strictest combination of ``base`` and every party's ``rules``."""
    rules = tuple(rules)
    merged = {leaf.path: _merge_leaf(leaf.path, base, rules) for leaf in LEAVES}
    value = {path: pair[0] for path, pair in merged.items()}
    sources = {path: pair[1] for path, pair in merged.items()}
    fitting = frozenset(e for e in value["epsilon_choices"] if e <= value["budget.epsilon"])
    if fitting != value["epsilon_choices"]:
        value["epsilon_choices"] = fitting
        budget_source = sources["budget.epsilon"]
        sources["epsilon_choices"] = Source(
            f"{budget_source.label} (its budget of {human_number(value['budget.epsilon'])} "
            "caps every query)",
            budget_source.party,
            budget_source.version,
        )
    return EffectivePolicy(
        base=base,
        rules=rules,
        templates=value["templates"],
        dimensions=Dimensions(value["dimensions.exposures"], value["dimensions.purchases"]),
        window=WindowBounds(value["window.min"], value["window.max"]),
        k=value["k"],
        epsilon_choices=value["epsilon_choices"],
        budget=Budget(value["budget.epsilon"], value["budget.period"], value["budget.lifetime"]),
        contribution=ContributionBounds(
            value["contribution.max_campaigns_per_user"],
            value["contribution.max_purchases_per_user"],
            value["contribution.amount_cap"],
        ),
        receivers=value["receivers"],
        pinned_keys=value["pinned_keys"],
        keys=value["keys"],
        sources=tuple(sorted(sources.items())),
        attribution=value["attribution"],
        attribution_models=value["attribution.models"],
    )


def key_accepted(policy: Policy | EffectivePolicy, party: str, fingerprint: str) -> bool:
    """Whether ``party`` may use the key with ``fingerprint`` (unpinned parties: any key)."""
    pinned = policy.pinned_keys.for_party(party)
    return pinned is None or fingerprint in pinned
