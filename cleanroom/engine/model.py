"""Typed inputs and outputs of the templates: what the SQL is asked and what it returns.

The outputs are *true* aggregates (no noise yet); only :mod:`cleanroom.release` may turn
them into something a person sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from policies.keys import OTHER
from protocols import FAMILIES, DatasetKind, token_column_name


class Attribution(StrEnum):
    """Which exposures get a purchase that follows several within the window: one
    (``first_touch``, ``last_touch``) or a share each (the others; see
    :mod:`cleanroom.engine.templates.attribution`)."""

    FIRST_TOUCH = "first_touch"
    LAST_TOUCH = "last_touch"
    LINEAR = "linear"
    POSITION_BASED = "position_based"
    TIME_DECAY = "time_decay"
    W_SHAPED = "w_shaped"


@dataclass(frozen=True)
class CreditSettings:
    """The models of a fractional-credit query and their parameters.

    ``first_micro``/``last_micro``: the position-based weights of the first and last
    touch in micro-credits (of 1,000,000); ``half_life_seconds`` for ``time_decay``;
    ``stage_column`` and ``milestone`` for ``w_shaped``.
    """

    models: tuple[Attribution, ...]
    first_micro: int = 400_000
    last_micro: int = 400_000
    half_life_seconds: int | None = None
    stage_column: str | None = None
    milestone: str | None = None

    def __post_init__(self) -> None:
        if not self.models or len(set(self.models)) < len(self.models):
            raise ValueError("name each model once, at least one")
        if not (self.first_micro > 0 and self.last_micro > 0) or (
            self.first_micro + self.last_micro > 1_000_000
        ):
            raise ValueError("position weights must be positive and sum to at most 1")
        if Attribution.TIME_DECAY in self.models and not self.half_life_seconds:
            raise ValueError("time_decay needs a half-life")
        if Attribution.W_SHAPED in self.models and not (self.stage_column and self.milestone):
            raise ValueError("w_shaped needs a stage column and a milestone stage")

    def parameters(self) -> dict[str, object]:
        """What the result records of these settings (JSON-ready)."""
        out: dict[str, object] = {"models": [str(m) for m in self.models]}
        if Attribution.POSITION_BASED in self.models:
            out["position_weights_micro"] = [self.first_micro, self.last_micro]
        if Attribution.TIME_DECAY in self.models:
            out["half_life_seconds"] = self.half_life_seconds
        if Attribution.W_SHAPED in self.models:
            out["stage"] = {"column": self.stage_column, "milestone": self.milestone}
        return out


@dataclass(frozen=True)
class ContributionBounds:
    """Per-user limits the SQL enforces before anything is aggregated.

    ``max_campaigns_per_user`` bounds the groups (campaign, or campaign x dimension value)
    one user may appear in; ``max_purchases_per_user`` the purchases one user
    contributes; ``amount_cap_cents`` clamps each purchase amount to ``[0, cap]`` (in
    hundredths of the currency unit, so every sum is exact integer arithmetic).
    """

    max_campaigns_per_user: int
    max_purchases_per_user: int
    amount_cap_cents: int

    def __post_init__(self) -> None:
        for name in ("max_campaigns_per_user", "max_purchases_per_user", "amount_cap_cents"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a whole number of at least 1, got {value!r}")


@dataclass(frozen=True)
class GroupKeys:
    """The groups of one query, declared by the policy and never read from the data.

    ``campaigns``: the campaign ids, in output order. ``values``: the declared values of
    the grouping dimension (``None`` without one); with ``other``, rows whose value is
    not declared (or is null) are counted in one more group, ``"other"``; without it they
    are dropped. A campaign id that is not declared is dropped too. Every key becomes a
    row of the result, whatever the data holds.
    """

    campaigns: tuple[str, ...]
    values: tuple[str, ...] | None = None
    other: bool = False

    def __post_init__(self) -> None:
        if not self.campaigns:
            raise ValueError("group keys need at least one campaign id")
        if self.values is None and self.other:
            raise ValueError("an `other` bucket needs a grouping dimension")
        if self.values is not None and not self.dimension_keys():
            raise ValueError("the grouping dimension needs a declared value or `other`")

    def dimension_keys(self) -> tuple[str, ...]:
        """The dimension's groups in output order (empty without a dimension)."""
        return (*(self.values or ()), *((OTHER,) if self.other else ()))

    def cell_count(self) -> int:
        """How many groups campaigns x dimension keys make (at most this many per user)."""
        return len(self.campaigns) * max(1, len(self.dimension_keys()))


def token_column(family: str) -> str:
    """The join column for ``family``; refuses anything that is not a known family."""
    if family not in FAMILIES:
        raise ValueError(f"unknown token family {family!r}; known: {', '.join(FAMILIES)}")
    return token_column_name(family)


@dataclass(frozen=True)
class OverlapCounts:
    """Distinct users: on both sides (matched), on the exposures side, on the purchases side."""

    matched: int
    exposures: int
    purchases: int


@dataclass(frozen=True)
class ConversionCell:
    """One group of ``conversions``: campaign (and dimension value, when grouped by one)."""

    campaign: str
    dimension: str | None
    exposed: int
    converted: int
    revenue_cents: int
    spend: float | None


@dataclass(frozen=True)
class ConversionCells:
    """All groups of one ``conversions`` query, and which dataset the grouping dimension
    came from (``None`` without one). With a purchases dimension, ``exposed`` is the
    campaign's exposed users, repeated on every row of that campaign."""

    dimension_dataset: DatasetKind | None
    cells: tuple[ConversionCell, ...]


@dataclass(frozen=True)
class LiftCell:
    """One campaign of ``lift``: users and converted users in each arm; with a spend
    dataset, each arm's bounded revenue cents and the campaign's spend (``revenue`` says
    whether revenue was computed)."""

    campaign: str
    exposed: int
    exposed_converted: int
    holdout: int
    holdout_converted: int
    exposed_revenue_cents: int | None = None
    holdout_revenue_cents: int | None = None
    spend: float | None = None

    @property
    def revenue(self) -> bool:
        return self.exposed_revenue_cents is not None


@dataclass(frozen=True)
class CreditCell:
    """One group of a fractional-credit ``conversions`` query: its exposed users and,
    per model (in the settings' order), credited micro-credits and credited cents."""

    campaign: str
    dimension: str | None
    exposed: int
    credits: tuple[tuple[int, int], ...]
    spend: float | None


@dataclass(frozen=True)
class CreditCells:
    """All groups of one fractional-credit query (see :class:`ConversionCells`)."""

    dimension_dataset: DatasetKind | None
    models: tuple[Attribution, ...]
    cells: tuple[CreditCell, ...]


@dataclass(frozen=True)
class FrequencyCell:
    """One (campaign, frequency bucket) of ``reach_frequency``: exposed-arm users whose
    capped exposure count to the campaign falls in the bucket, and how many of them
    converted (a purchase within the window after one of those exposures)."""

    campaign: str
    bucket: int
    users: int
    converted: int


@dataclass(frozen=True)
class DelayCell:
    """One (campaign, delay bucket) of ``time_to_conversion``: kept purchases attributed
    to the campaign whose delay since the attributed exposure falls in the bucket."""

    campaign: str
    bucket: int
    purchases: int


FUNNEL_STAGES = ("exposed", "matched", "converted", "repeated")
"""The funnel's stages, each contained in the one before: exposed to the campaign, bought
anything at the retailer, converted within the window, bought again within the horizon."""


@dataclass(frozen=True)
class FunnelCell:
    """One campaign of ``funnel``: exposed-arm users by their *deepest* stage
    (``deepest[i]`` users stop at ``FUNNEL_STAGES[i]``); a stage's users are the sum of
    the deepest counts from that stage on."""

    campaign: str
    deepest: tuple[int, int, int, int]

    def stage_counts(self) -> tuple[int, ...]:
        """Users who reached each stage: suffix sums of :attr:`deepest`."""
        return tuple(sum(self.deepest[i:]) for i in range(len(self.deepest)))
