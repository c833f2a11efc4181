"""Policies in plain words: :func:`describe` one, :func:`diff` two.

The sentences are meant for a compliance officer; they avoid jargon except "epsilon",
which the privacy-guarantees guide explains.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from policies.exact import human_number
from policies.keys import CAMPAIGN
from policies.merge import EffectivePolicy
from policies.model import Budget, KeyPinning, Policy
from policies.order import LEAVES, Direction, compare


def _listing(values: frozenset[str]) -> str:
    return ", ".join(sorted(values))


def _dimension_line(noun: str, names: frozenset[str]) -> str:
    if not names:
        return f"{noun} data may not be broken down by any attribute."
    return f"{noun} data may be broken down by: {_listing(names)}."


def _key_lines(policy: Policy | EffectivePolicy) -> list[str]:
    keys, dims = policy.keys, policy.dimensions
    lines = [f"Groups by {name} are declared: {column.words()}." for name, column in keys.columns]
    undeclared = sorted(({CAMPAIGN} | dims.exposures | dims.purchases) - keys.names())
    if undeclared:
        lines.append(
            f"No keys are declared for: {', '.join(undeclared)}; queries grouped by them are "
            "refused (conversions and lift always group by campaign_id)."
        )
    if keys.columns:
        lines.append(
            "Every declared group gets a row, released or suppressed; a value that is not "
            "declared never makes a row of its own."
        )
    return lines


def _choices_line(choices: frozenset[Fraction]) -> str:
    if not choices:
        return (
            "No epsilon is allowed per query (the lists have no value in common): no query can run."
        )
    if len(choices) == 1:
        return f"Each query spends exactly epsilon {human_number(next(iter(choices)))}."
    listed = ", ".join(human_number(c) for c in sorted(choices))
    return (
        f"Each query spends one of these epsilons: {listed} "
        f"(default {human_number(max(choices))}); no other value is accepted."
    )


def year_total(budget: Budget) -> Fraction:
    """The most epsilon the refresh allows in any 365 days (before the lifetime cap)."""
    return budget.epsilon * budget.period.most_per_year()


def over_time_lines(budget: Budget) -> list[str]:
    """What refresh allows over a year, next to the lifetime cap, in plain words."""
    periods = budget.period.most_per_year()
    year = (
        f"Refreshed every {budget.period.noun}, the budget allows up to epsilon "
        f"{human_number(year_total(budget))} in any 365 days ({periods} periods can fall "
        "in one)"
    )
    if budget.lifetime is None:
        return [f"{year}, and there is no lifetime cap: the total over time grows without bound."]
    return [
        f"{year}; the lifetime cap of epsilon {human_number(budget.lifetime)} bounds all "
        "queries together for as long as the collaboration lasts, whatever the refresh."
    ]


def _noise_lines(policy: Policy | EffectivePolicy) -> list[str]:
    """Nothing under the default discrete Laplace; the promise of the Gaussian choice."""
    delta = policy.noise.delta
    if delta is None:
        return []
    return [
        "Noise is discrete Gaussian (zero-concentrated DP): every epsilon above holds with "
        f"delta {human_number(delta)}, the chance that the privacy loss exceeds it; spent "
        "epsilons add up and the total holds at that same delta."
    ]


def describe_lines(policy: Policy | EffectivePolicy) -> list[str]:
    """The policy, one plain sentence per rule."""
    window, budget, bounds = policy.window, policy.budget, policy.contribution
    lines = [
        f"Policy `{policy.name}`, version {policy.version}.",
        f"Allowed queries: {_listing(frozenset(policy.templates))}."
        if policy.templates
        else "No query template is allowed.",
        _dimension_line("Exposure", policy.dimensions.exposures),
        _dimension_line("Purchase", policy.dimensions.purchases),
        *_key_lines(policy),
        f"A purchase counts toward an exposure only within an attribution window of "
        f"{window.min.words()} to {window.max.words()}; queries choose a window in that range."
        if window.min <= window.max
        else f"No attribution window is allowed: the shortest allowed ({window.min.words()}) "
        f"is longer than the longest allowed ({window.max.words()}).",
        _attribution_line(policy),
        f"A group's results are released only when its noisy count of people is at least "
        f"{policy.k}; other groups are suppressed (the decision reads noisy values only).",
        _choices_line(policy.epsilon_choices),
        f"All queries together may use at most epsilon {human_number(budget.epsilon)} "
        f"per {budget.period.words()}.",
        *over_time_lines(budget),
        *_noise_lines(policy),
        f"Each person counts toward at most {bounds.max_campaigns_per_user} campaigns and "
        f"{bounds.max_purchases_per_user} purchases; each purchase amount is capped at "
        f"{human_number(bounds.amount_cap)}.",
        f"Results are shown only to: {_listing(policy.receivers)}."
        if policy.receivers
        else "No party may receive results.",
    ]
    pins = policy.pinned_keys.entries
    base = policy if isinstance(policy, Policy) else policy.base
    roster = base.pin_keys is KeyPinning.ON_REGISTRATION
    if not pins and not roster:
        lines.append("No keys are pinned: each party's registered keys are accepted.")
    for party, fingerprints in pins:
        accepted = _listing(fingerprints) if fingerprints else "none (no key is accepted)"
        lines.append(f"Keys of {party} are pinned to the fingerprints: {accepted}.")
    if roster:
        lines.append(
            "Keys are pinned once every party_admin has registered: each party signs the "
            "key roster, and rostered keys change only by a new policy that pins them."
        )
    return lines


def _attribution_line(policy: Policy | EffectivePolicy) -> str:
    rules = policy.attribution
    parts = [f"Attribution models of conversions: {_listing(frozenset(rules.models))}"]
    if rules.end_weight is not None:
        low, high = human_number(rules.end_weight.min), human_number(rules.end_weight.max)
        parts.append(f"position_based gives the first and the last touch each {low} to {high}")
    if rules.half_life is not None:
        parts.append(
            f"time_decay halves a touch's weight every {rules.half_life.min.words()} to "
            f"{rules.half_life.max.words()}"
        )
    if rules.stage is not None:
        parts.append(
            f"w_shaped reads the stage column `{rules.stage.column}` "
            f"(milestone `{rules.stage.milestone}`)"
        )
    else:
        parts.append("w_shaped is unavailable (no stage column is declared)")
    return "; ".join(parts) + "."


def describe(policy: Policy | EffectivePolicy) -> str:
    """:func:`describe_lines` joined into one text, one sentence per line."""
    return "\n".join(describe_lines(policy))


@dataclass(frozen=True)
class Change:
    """One field that differs between two policies."""

    field: str
    noun: str
    old: str
    new: str
    direction: Direction

    @property
    def message(self) -> str:
        verb = {
            Direction.STRICTER: "is stricter",
            Direction.LOOSER: "is looser",
            Direction.MIXED: "changed (neither stricter nor looser)",
            Direction.SAME: "is unchanged",
        }[self.direction]
        return f"{self.noun} {verb}: {self.old} -> {self.new}"


def diff(old: Policy | EffectivePolicy, new: Policy | EffectivePolicy) -> list[Change]:
    """Every field that differs, in field order, saying whether it got stricter or looser."""
    changes = []
    for leaf in LEAVES:
        before, after = leaf.of_policy(old), leaf.of_policy(new)
        direction = compare(leaf.order, before, after)
        if direction is not Direction.SAME:
            changes.append(
                Change(leaf.path, leaf.noun, leaf.text(before), leaf.text(after), direction)
            )
    return changes


def overall(changes: list[Change]) -> Direction:
    """One word for a whole diff: stricter, looser, changed (both) or same."""
    directions = {change.direction for change in changes}
    if not directions:
        return Direction.SAME
    if directions == {Direction.STRICTER}:
        return Direction.STRICTER
    if directions == {Direction.LOOSER}:
        return Direction.LOOSER
    return Direction.MIXED
