"""Attribution models of ``conversions`` and the policy's rules for them.

A policy's optional ``attribution`` section says which models a query may ask for and
within which bounds their parameters lie. Without the section a policy allows what it
always did: ``last_touch`` and ``first_touch``.

- ``last_touch``, ``first_touch``: one touch gets the whole purchase;
- ``linear``: every touch in the window gets an equal share;
- ``position_based`` (U-shaped): the first and the last touch get the request's
  ``position_weights`` (default 40% each, each within ``end_weight``), the touches in
  between share the rest;
- ``time_decay``: a touch ``d`` seconds before the latest touch weighs ``2^(-d/h)``,
  ``h`` the request's ``half_life`` (within ``half_life``);
- ``w_shaped``: the first touch, the first touch of the ``milestone`` stage and the last
  touch get 30% each, the others share 10%. It needs a declared stage column
  (``stage``), one of the policy's exposure dimensions; without one it is unavailable.

Pure: no I/O. ``docs/reference/policy.md`` describes the fields.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Any

from policies import checks
from policies.exact import Duration, fraction_text, human_number, parse_fraction

MICRO = 1_000_000
"""Credit units per purchase: each kept purchase gives 1 credit = ``MICRO`` micro-credits."""


class Attribution(StrEnum):
    """Which touches get the credit of a purchase that follows several in its window."""

    FIRST_TOUCH = "first_touch"
    LAST_TOUCH = "last_touch"
    LINEAR = "linear"
    POSITION_BASED = "position_based"
    TIME_DECAY = "time_decay"
    W_SHAPED = "w_shaped"


SINGLE_TOUCH = frozenset({Attribution.FIRST_TOUCH, Attribution.LAST_TOUCH})
"""Models that give a purchase to one group (the converted-users histogram applies)."""

DEFAULT_MODELS = SINGLE_TOUCH
DEFAULT_POSITION_WEIGHTS = (Fraction(2, 5), Fraction(2, 5))
"""40% to the first touch, 40% to the last, 20% shared by the touches in between."""


@dataclass(frozen=True)
class WeightBounds:
    """The share each end of ``position_based`` may get: ``min <= first, last <= max``."""

    min: Fraction
    max: Fraction

    def __post_init__(self) -> None:
        if not 0 < self.min <= self.max or 2 * self.max > 1:
            raise ValueError(
                f"need 0 < min <= max <= 1/2, got min {human_number(self.min)} "
                f"and max {human_number(self.max)}"
            )

    def contains(self, weight: Fraction) -> bool:
        return self.min <= weight <= self.max


@dataclass(frozen=True)
class HalfLifeBounds:
    """The shortest and longest ``time_decay`` half-life a query may ask for."""

    min: Duration
    max: Duration

    def __post_init__(self) -> None:
        if self.min > self.max:
            raise ValueError(f"the minimum {self.min} is longer than the maximum {self.max}")

    def contains(self, half_life: Duration) -> bool:
        return self.min <= half_life <= self.max


@dataclass(frozen=True)
class StageColumn:
    """The exposures column that names each touch's stage (for ``w_shaped``), its
    declared values, and the ``milestone`` stage whose first touch is the middle of W."""

    column: str
    values: frozenset[str]
    milestone: str

    def __post_init__(self) -> None:
        if not self.values or not all(isinstance(v, str) and v for v in self.values):
            raise ValueError("stage.values: list at least one stage name")
        if self.milestone not in self.values:
            raise ValueError(f"stage.milestone `{self.milestone}` is not one of stage.values")


@dataclass(frozen=True)
class AttributionRules:
    """Which models a query may ask for, and the bounds of their parameters."""

    models: frozenset[Attribution] = DEFAULT_MODELS
    end_weight: WeightBounds | None = None
    half_life: HalfLifeBounds | None = None
    stage: StageColumn | None = None

    def __post_init__(self) -> None:
        checks.collect(
            [
                ("models", self._check_models),
                ("end_weight", self._check_needed(Attribution.POSITION_BASED, self.end_weight)),
                ("half_life", self._check_needed(Attribution.TIME_DECAY, self.half_life)),
                ("stage", self._check_needed(Attribution.W_SHAPED, self.stage)),
            ],
            "attribution",
        )

    def _check_models(self) -> None:
        if not self.models:
            raise ValueError("allow at least one model")

    def _check_needed(self, model: Attribution, bound: object) -> Callable[[], None]:
        def check() -> None:
            if model in self.models and bound is None:
                raise ValueError(f"is required when `{model}` is allowed")

        return check

    @property
    def is_default(self) -> bool:
        """True for the rules of a policy without an ``attribution`` section."""
        return self == AttributionRules()

    def within(self, other: AttributionRules) -> bool:
        """Whether these rules allow nothing ``other`` forbids (for ``policy diff``)."""
        if not self.models <= other.models:
            return False
        pairs = [(self.end_weight, other.end_weight), (self.half_life, other.half_life)]
        for mine, theirs in pairs:
            if (
                mine is not None
                and theirs is not None
                and not (
                    theirs.min <= mine.min and mine.max <= theirs.max  # type: ignore[operator]
                )
            ):
                return False
        return self.stage is None or other.stage is None or self.stage == other.stage

    def short(self) -> str:
        """One line for provenance and diffs."""
        parts = [", ".join(sorted(self.models))]
        if self.end_weight:
            w = self.end_weight
            parts.append(f"end weights {human_number(w.min)}..{human_number(w.max)}")
        if self.half_life:
            parts.append(f"half-life {self.half_life.min}..{self.half_life.max}")
        if self.stage:
            parts.append(f"stage `{self.stage.column}` (milestone {self.stage.milestone})")
        return "; ".join(parts)


def _models(value: Any) -> frozenset[Attribution]:
    known = ", ".join(Attribution)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"models: must be a list of model names ({known})")
    for name in value:
        if name not in set(Attribution):
            raise ValueError(f"models: `{name}` is not an attribution model; choose from {known}")
    return frozenset(Attribution(v) for v in value)


def _range(value: Any, name: str) -> tuple[Any, Any]:
    if not isinstance(value, Mapping) or set(value) != {"min", "max"}:
        raise ValueError(f"{name}: must be a mapping with `min` and `max`")
    return value["min"], value["max"]


def _stage(value: Any) -> StageColumn:
    if not isinstance(value, Mapping) or set(value) != {"column", "values", "milestone"}:
        raise ValueError("stage: must be a mapping with `column`, `values` and `milestone`")
    values = value["values"]
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValueError("stage.values: must be a list of stage names")
    if not isinstance(value["column"], str) or not isinstance(value["milestone"], str):
        raise ValueError("stage.column and stage.milestone must be names")
    return StageColumn(value["column"], frozenset(values), value["milestone"])


_FIELDS = ("models", "end_weight", "half_life", "stage")


def parse_attribution(value: Any) -> AttributionRules:
    """The ``attribution`` section of a policy document; raises ``ValueError``."""
    if not isinstance(value, Mapping):
        raise ValueError("must be a mapping with " + ", ".join(f"`{f}`" for f in _FIELDS))
    unknown = sorted(str(k) for k in value if k not in _FIELDS)
    if unknown:
        raise ValueError(f"`{unknown[0]}` is not a field; use " + ", ".join(_FIELDS))
    end_weight = half_life = None
    if value.get("end_weight") is not None:
        low, high = _range(value["end_weight"], "end_weight")
        end_weight = WeightBounds(parse_fraction(low), parse_fraction(high))
    if value.get("half_life") is not None:
        low, high = _range(value["half_life"], "half_life")
        half_life = HalfLifeBounds(Duration.parse(low), Duration.parse(high))
    stage = _stage(value["stage"]) if value.get("stage") is not None else None
    models = _models(value["models"]) if "models" in value else DEFAULT_MODELS
    return AttributionRules(models, end_weight, half_life, stage)  # InvalidPolicy: nested


def parse_rules_attribution(value: Any) -> frozenset[Attribution]:
    """A party's ``attribution`` section: only ``models``, which narrows the policy's."""
    if not isinstance(value, Mapping) or set(value) != {"models"}:
        raise ValueError(
            "a party's rules may only narrow `models`; the parameter bounds and the stage "
            "column are the collaboration policy's"
        )
    models = _models(value["models"])
    if not models:
        raise ValueError("models: list at least one model")
    return models


def to_canonical(rules: AttributionRules) -> dict[str, Any]:
    """Canonical JSON-ready form (every field present; ``null`` where not set)."""
    return {
        "models": sorted(str(m) for m in rules.models),
        "end_weight": None
        if rules.end_weight is None
        else {
            "min": fraction_text(rules.end_weight.min),
            "max": fraction_text(rules.end_weight.max),
        },
        "half_life": None
        if rules.half_life is None
        else {"min": str(rules.half_life.min), "max": str(rules.half_life.max)},
        "stage": None
        if rules.stage is None
        else {
            "column": rules.stage.column,
            "values": sorted(rules.stage.values),
            "milestone": rules.stage.milestone,
        },
    }
