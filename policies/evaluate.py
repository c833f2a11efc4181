"""Deciding whether one query may run, and saying why not in plain words.

:func:`evaluate` is pure: it reads the request, the effective policy and the budget
state, and returns a :class:`Decision` listing *every* reason for a denial, each
naming the document that set the rule ("dimension `zip` is not allowed by the
retailer's policy v3").
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from policies import buckets, checks
from policies.attribution import DEFAULT_POSITION_WEIGHTS, MICRO, SINGLE_TOUCH, Attribution
from policies.budget import BudgetState, lifetime_remaining, remaining, until
from policies.errors import InvalidQuery, PolicyDenied
from policies.exact import Duration, fraction_text, human_number, parse_fraction
from policies.keys import CAMPAIGN
from policies.merge import EffectivePolicy, Source, effective_policy, source_of
from policies.model import Policy, Template


@dataclass(frozen=True)
class QueryRequest:
    """What an analyst asks for. ``epsilon=None`` means the largest allowed epsilon.

    Build one from wire values with :func:`parse_query` (names, ``"7d"`` windows,
    ``"1/4"``/``"0.25"``/0.25 epsilons, any sequence of dimension names); the fields are
    checked and converted again on construction, so an instance is always valid.

    ``compare`` lists every model of a comparison (``attribution`` is then its first);
    ``position_weights`` (first, last) default to 40%/40% when ``position_based`` is
    asked for; ``half_life`` is required by ``time_decay``.
    """

    template: Template
    requester: str
    window: Duration | None = None
    attribution: Attribution = Attribution.LAST_TOUCH
    dimensions: tuple[str, ...] = ()
    epsilon: Fraction | None = None
    compare: tuple[Attribution, ...] = ()
    position_weights: tuple[Fraction, Fraction] | None = None
    half_life: Duration | None = None

    @property
    def models(self) -> tuple[Attribution, ...]:
        """Every model the request names (the comparison, or the one model)."""
        return self.compare or (self.attribution,)

    @property
    def credit_models(self) -> tuple[Attribution, ...]:
        """The models released as fractional credit: all of a comparison, or the one
        model when it splits credit; empty for a plain single-touch request."""
        if self.compare or self.attribution not in SINGLE_TOUCH:
            return self.models
        return ()

    frequency_buckets: tuple[int, ...] | None = None
    frequency_cap: int | None = None
    delay_buckets: tuple[Duration, ...] | None = None
    horizon: Duration | None = None

    def __post_init__(self) -> None:
        converted, problems = _convert({name: getattr(self, name) for name in _CONVERTERS})
        for name, value in converted.items():
            object.__setattr__(self, name, value)
        if not problems:
            problems.extend(self._shape_problems())
            problems.extend(self._model_problems())
            if not problems:
                self._resolve_buckets()
                problems.extend(self._bucket_problems())
        if problems:
            raise InvalidQuery("; ".join(problems))
        if Attribution.POSITION_BASED in self.models and self.position_weights is None:
            object.__setattr__(self, "position_weights", DEFAULT_POSITION_WEIGHTS)

    def _shape_problems(self) -> list[str]:
        problems = [
            f"{name} is not a parameter of {self.template}"
            for name, owner in _BUCKET_OWNERS.items()
            if getattr(self, name) is not None and owner is not self.template
        ]
        if self.template is Template.OVERLAP:
            if self.window is not None or self.dimensions:
                return [*problems, "overlap takes no window and no dimension"]
            return problems
        if not self.window:
            problems.append(f"{self.template} needs an attribution window")
        if self.template in _CAMPAIGN_ONLY and self.dimensions:
            problems.append(f"{self.template} groups by campaign only, not by a dimension")
        if len(self.dimensions) > 1:
            problems.append(f"{self.template} can be broken down by one dimension at most")
        return problems

    def _model_problems(self) -> list[str]:
        models, problems = self.models, []
        if self.compare and self.compare[0] is not self.attribution:
            problems.append("attribution: a comparison starts with the request's attribution")
        if self.template is not Template.CONVERSIONS:
            if self.credit_models or self.position_weights or self.half_life:
                problems.append("attribution: only conversions takes attribution models")
            return problems
        if self.position_weights and Attribution.POSITION_BASED not in models:
            problems.append("position_weights: only position_based takes position weights")
        if self.half_life and Attribution.TIME_DECAY not in models:
            problems.append("half_life: only time_decay takes a half-life")
        if Attribution.TIME_DECAY in models and self.half_life is None:
            problems.append("half_life: time_decay needs a half-life, e.g. 7d")
        return problems

    def _resolve_buckets(self) -> None:
        """The defaults of the template's buckets, so equal questions have equal keys."""
        defaults: dict[str, object] = {}
        if self.template is Template.REACH_FREQUENCY:
            defaults = {
                "frequency_buckets": buckets.DEFAULT_FREQUENCY_BUCKETS,
                "frequency_cap": buckets.DEFAULT_FREQUENCY_CAP,
            }
        elif self.template is Template.TIME_TO_CONVERSION and self.window:
            defaults = {"delay_buckets": buckets.default_delay_buckets(self.window)}
        elif self.template is Template.FUNNEL:
            defaults = {"horizon": buckets.DEFAULT_HORIZON}
        for name, value in defaults.items():
            if getattr(self, name) is None:
                object.__setattr__(self, name, value)

    def _bucket_problems(self) -> list[str]:
        edges, cap = self.frequency_buckets, self.frequency_cap
        if edges and cap is not None and edges[-1] > cap:
            return [
                f"frequency_buckets: the last edge {edges[-1]} is above the frequency cap of {cap}"
            ]
        if self.delay_buckets and self.window and self.delay_buckets[-1] >= self.window:
            return [
                f"delay_buckets: every boundary must be shorter than the window "
                f"{self.window}, got {self.delay_buckets[-1]}"
            ]
        return []


def _template_of(value: object) -> Template:
    if isinstance(value, str) and value in set(Template):
        return Template(value)
    raise ValueError(f"{value!r} is not a template; choose from {', '.join(sorted(Template))}")


def _attribution_of(value: object) -> Attribution:
    if isinstance(value, str) and value in set(Attribution):
        return Attribution(value)
    raise ValueError(f"{value!r} is not an attribution model; choose from {', '.join(Attribution)}")


def _compare_of(value: object) -> tuple[Attribution, ...]:
    if isinstance(value, str) or not isinstance(value, tuple | list):
        raise ValueError(f"must be a list of attribution models, got {value!r}")
    models = tuple(_attribution_of(v) for v in value)
    if len(set(models)) < len(models):
        raise ValueError("names a model twice")
    return models


def _weight_of(value: object) -> Fraction:
    weight = parse_fraction(value)
    if not 0 < weight < 1 or (weight * MICRO).denominator != 1:
        raise ValueError(
            f"each weight must be above 0 and below 1, in steps of 1/{MICRO:_}, "
            f"got {human_number(weight)}"
        )
    return weight


def _weights_of(value: object) -> tuple[Fraction, Fraction] | None:
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, tuple | list) or len(value) != 2:
        raise ValueError(f"must be [first, last], two weights such as [0.4, 0.4], got {value!r}")
    first, last = _weight_of(value[0]), _weight_of(value[1])
    if first + last > 1:
        raise ValueError(f"first + last must be at most 1, got {human_number(first + last)}")
    return first, last


def _window_of(value: object) -> Duration | None:
    return None if value is None else Duration.parse(value)


def _epsilon_of(value: object) -> Fraction | None:
    if value is None:
        return None
    epsilon = parse_fraction(value)
    if epsilon <= 0:
        raise ValueError(f"must be above 0, got {human_number(epsilon)}")
    return epsilon


def _dimensions_of(value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, tuple | list):
        raise ValueError(f"must be a list of dimension names, got {value!r}")
    if not all(isinstance(name, str) for name in value):
        raise ValueError(f"must be a list of dimension names, got {value!r}")
    return tuple(value)


def _duration_of(value: object) -> Duration | None:
    return None if value is None else Duration.parse(value)


_BUCKET_OWNERS = {
    "frequency_buckets": Template.REACH_FREQUENCY,
    "frequency_cap": Template.REACH_FREQUENCY,
    "delay_buckets": Template.TIME_TO_CONVERSION,
    "horizon": Template.FUNNEL,
}
_CAMPAIGN_ONLY = frozenset(_BUCKET_OWNERS.values())


def _requester_of(value: object) -> str:
    checks.slug(value)
    return str(value)


_CONVERTERS = {
    "template": _template_of,
    "attribution": _attribution_of,
    "window": _window_of,
    "epsilon": _epsilon_of,
    "dimensions": _dimensions_of,
    "requester": _requester_of,
    "compare": _compare_of,
    "position_weights": _weights_of,
    "half_life": _window_of,
    "frequency_buckets": buckets.frequency_buckets_of,
    "frequency_cap": buckets.frequency_cap_of,
    "delay_buckets": buckets.delay_buckets_of,
    "horizon": _duration_of,
}


def _convert(wire: dict[str, object]) -> tuple[dict[str, Any], list[str]]:
    """Each field converted exactly, and every field that could not be, as a problem."""
    converted: dict[str, Any] = {}
    problems: list[str] = []
    for name, convert in _CONVERTERS.items():
        if name not in wire:
            continue
        try:
            converted[name] = convert(wire[name])
        except ValueError as error:
            problems.append(f"{name}: {error}")
    return converted, problems


def parse_query(
    *,
    template: object,
    requester: object,
    window: object = None,
    attribution: object = Attribution.LAST_TOUCH,
    dimensions: object = (),
    epsilon: object = None,
    position_weights: object = None,
    half_life: object = None,
    frequency_buckets: object = None,
    frequency_cap: object = None,
    delay_buckets: object = None,
    horizon: object = None,
) -> QueryRequest:
    """A request from wire values: names, ``"7d"`` windows, ``"1/4"``/``0.25`` epsilons;
    ``attribution`` one model or a list of models to compare side by side.

    Raises :class:`InvalidQuery` naming every field that is wrong.
    """
    compare: tuple[Attribution, ...] = ()
    listed: list[str] = []
    if isinstance(attribution, list | tuple):
        try:
            compare = _compare_of(attribution)
        except ValueError as error:
            listed.append(f"attribution: {error}")
        if not attribution:
            listed.append("attribution: list at least one model")
        attribution = compare[0] if compare else Attribution.LAST_TOUCH
    wire = {
        "template": template,
        "requester": requester,
        "window": window,
        "attribution": attribution,
        "dimensions": dimensions,
        "epsilon": epsilon,
        "compare": compare,
        "position_weights": position_weights,
        "half_life": half_life,
        "frequency_buckets": frequency_buckets,
        "frequency_cap": frequency_cap,
        "delay_buckets": delay_buckets,
        "horizon": horizon,
    }
    converted, problems = _convert(wire)
    if listed or problems:
        raise InvalidQuery("; ".join([*listed, *problems]))
    return QueryRequest(**converted)


BUDGET_CODES = frozenset({"budget_exhausted", "lifetime_exhausted"})
"""Denials that only say "not now, the budget is spent" (409; a stored repeat is still free)."""


@dataclass(frozen=True)
class Denial:
    """One reason a query is refused. ``code`` is stable; ``message`` is for people."""

    code: str
    field: str
    message: str
    source: Source | None


@dataclass(frozen=True)
class Decision:
    """The verdict on one query: allowed when there is no denial."""

    request: QueryRequest
    epsilon: Fraction
    denials: tuple[Denial, ...]

    @property
    def allowed(self) -> bool:
        return not self.denials

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(denial.message for denial in self.denials)

    @property
    def only_budget(self) -> bool:
        """Denied, and only because the budget (of the period or the lifetime) is spent."""
        return bool(self.denials) and all(d.code in BUDGET_CODES for d in self.denials)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form (epsilon as ``"n/d"``) for an API response or an audit entry."""
        return {
            "allowed": self.allowed,
            "epsilon": fraction_text(self.epsilon),
            "denials": [
                {
                    "code": denial.code,
                    "field": denial.field,
                    "message": denial.message,
                    "source": None if denial.source is None else denial.source.label,
                }
                for denial in self.denials
            ],
        }

    def raise_if_denied(self) -> None:
        """Raise :class:`PolicyDenied` carrying this decision when the query is refused."""
        if self.denials:
            raise PolicyDenied(self)


def _template(request: QueryRequest, policy: EffectivePolicy) -> list[Denial]:
    if request.template in policy.templates:
        return []
    source = policy.excluded_by("templates", request.template)
    message = f"the `{request.template}` template is not allowed by {source}"
    return [Denial("template_not_allowed", "templates", message, source)]


def _dimensions(request: QueryRequest, policy: EffectivePolicy) -> list[Denial]:
    denials = []
    for name in request.dimensions:
        if policy.dimensions.kind_of(name) is not None:
            continue
        kind = policy.base.dimensions.kind_of(name)
        path = f"dimensions.{kind}" if kind else "dimensions"
        source = policy.excluded_by(path, name) if kind else source_of(policy.base)
        message = f"dimension `{name}` is not allowed by {source}"
        denials.append(Denial("dimension_not_allowed", path, message, source))
    return denials


def _keys(request: QueryRequest, policy: EffectivePolicy) -> list[Denial]:
    """Every grouping column needs declared keys: groups never come from the data."""
    allowed = [name for name in request.dimensions if policy.dimensions.kind_of(name)]
    grouped = allowed if request.template is Template.OVERLAP else [CAMPAIGN, *allowed]
    denials = []
    for name in grouped:
        column = policy.keys.for_column(name)
        if column is not None and column.keys():
            continue
        if column is None:
            source = source_of(policy.base)
            message = (
                f"no keys are declared for `{name}`, so no query may group by it; "
                f"{source} (or a party's rules) must list its values under `keys`"
            )
        else:
            source = policy.source("keys")
            message = f"the keys declared for `{name}` have nothing in common after {source}"
        denials.append(Denial("keys_not_declared", f"keys.{name}", message, source))
    return denials


def _attribution(request: QueryRequest, policy: EffectivePolicy) -> list[Denial]:
    """Each model must be allowed, and its parameters within the policy's bounds."""
    if request.template is not Template.CONVERSIONS:
        return []
    rules, source, denials = policy.attribution, policy.source("attribution"), []
    allowed_models = policy.allowed_models
    for model in request.models:
        if model in allowed_models:
            continue
        if model is Attribution.W_SHAPED and rules.stage is None:
            message = (
                "w_shaped is unavailable: it needs a stage column of the exposures declared "
                f"under attribution.stage, and {source} declares none"
            )
            denials.append(Denial("attribution_unavailable", "attribution.stage", message, source))
            continue
        narrowing = policy.excluded_by("attribution.models", model) or source
        allowed = ", ".join(sorted(allowed_models)) or "none"
        message = f"attribution model `{model}` is not allowed by {narrowing} (allowed: {allowed})"
        denials.append(Denial("attribution_not_allowed", "attribution.models", message, narrowing))
    bounds = rules.end_weight
    if request.position_weights and bounds and Attribution.POSITION_BASED in rules.models:
        for end, weight in zip(("first", "last"), request.position_weights, strict=True):
            if not bounds.contains(weight):
                message = (
                    f"position weight of the {end} touch {human_number(weight)} is outside "
                    f"{human_number(bounds.min)}..{human_number(bounds.max)} set by {source}"
                )
                denials.append(
                    Denial(
                        "position_weight_out_of_bounds", "attribution.end_weight", message, source
                    )
                )
    half = rules.half_life
    if request.half_life and half and not half.contains(request.half_life):
        message = f"half-life {request.half_life} is outside {half.min}..{half.max} set by {source}"
        denials.append(Denial("half_life_out_of_bounds", "attribution.half_life", message, source))
    return denials


def _window(request: QueryRequest, policy: EffectivePolicy) -> list[Denial]:
    window, bounds, denials = request.window, policy.window, []
    if window is None:
        return []
    if window < bounds.min:
        source = policy.source("window.min")
        message = f"window {window} is shorter than the minimum of {bounds.min} set by {source}"
        denials.append(Denial("window_too_short", "window.min", message, source))
    if window > bounds.max:
        source = policy.source("window.max")
        message = f"window {window} exceeds the maximum of {bounds.max} set by {source}"
        denials.append(Denial("window_too_long", "window.max", message, source))
    return denials


def _horizon(request: QueryRequest, policy: EffectivePolicy) -> list[Denial]:
    """The funnel's repeat horizon lies within the window bounds, like the window."""
    horizon, bounds = request.horizon, policy.window
    if horizon is None or bounds.contains(horizon):
        return []
    field = "window.min" if horizon < bounds.min else "window.max"
    source = policy.source(field)
    limit = bounds.min if horizon < bounds.min else bounds.max
    side = "shorter than the minimum" if horizon < bounds.min else "longer than the maximum"
    message = f"repeat horizon {horizon} is {side} window of {limit} set by {source}"
    return [Denial("horizon_out_of_bounds", field, message, source)]


def _receiver(request: QueryRequest, policy: EffectivePolicy) -> list[Denial]:
    if request.requester in policy.receivers:
        return []
    source = policy.excluded_by("receivers", request.requester)
    message = f"`{request.requester}` may not receive results under {source}"
    return [Denial("not_a_receiver", "receivers", message, source)]


def _choice(request: QueryRequest, policy: EffectivePolicy) -> list[Denial]:
    """The epsilon must be one of the allowed values (the intersection of every list)."""
    choices, epsilon = policy.epsilon_choices, request.epsilon
    if not choices:
        lists = "; ".join(
            f"{source} allows {_numbers(value)}"
            for source, value in policy.layers("epsilon_choices")
            if value is not None
        )
        source = policy.source("epsilon_choices")
        message = (
            f"no epsilon is allowed, so no query can run: {lists}; "
            f"no value is in every list and within the budget per period"
        )
        return [Denial("no_epsilon_allowed", "epsilon_choices", message, source)]
    if epsilon is None or epsilon in choices:
        return []
    source = policy.excluded_by("epsilon_choices", epsilon) or policy.source("epsilon_choices")
    message = (
        f"epsilon {human_number(epsilon)} is not an allowed value; "
        f"choose one of {_numbers(choices)} (set by {source})"
    )
    return [Denial("epsilon_not_allowed", "epsilon_choices", message, source)]


def _numbers(values: frozenset[Fraction]) -> str:
    return ", ".join(human_number(value) for value in sorted(values))


def _budget(epsilon: Fraction, policy: EffectivePolicy, state: BudgetState) -> list[Denial]:
    denials, budget = [], policy.budget
    left = remaining(budget.epsilon, state)
    if epsilon > left:
        source = policy.source("budget.epsilon")
        message = (
            f"this query needs epsilon {human_number(epsilon)}, {human_number(left)} is left "
            f"until {until(state.period_end)} (budget of {human_number(budget.epsilon)} "
            f"per {budget.period.noun} set by {source})"
        )
        denials.append(Denial("budget_exhausted", "budget.epsilon", message, source))
    lifetime_left = lifetime_remaining(budget.lifetime, state)
    if lifetime_left is not None and epsilon > lifetime_left:
        source = policy.source("budget.lifetime")
        message = (
            f"this query needs epsilon {human_number(epsilon)}, {human_number(lifetime_left)} "
            f"is left of the lifetime cap of {human_number(budget.lifetime or Fraction(0))} "
            f"set by {source}; it never refreshes"
        )
        denials.append(Denial("lifetime_exhausted", "budget.lifetime", message, source))
    return denials


def evaluate(
    request: QueryRequest, policy: EffectivePolicy | Policy, budget_state: BudgetState
) -> Decision:
    """Whether ``request`` may run now; every denial names the rule and who set it.

    ``budget_state`` must be the state of the current period (see
    :func:`policies.current_state`).
    """
    if isinstance(policy, Policy):
        policy = effective_policy(policy)
    choice = _choice(request, policy)
    epsilon = request.epsilon or max(policy.epsilon_choices, default=Fraction(0))
    denials = [
        *_template(request, policy),
        *_dimensions(request, policy),
        *_keys(request, policy),
        *_attribution(request, policy),
        *_window(request, policy),
        *_horizon(request, policy),
        *_receiver(request, policy),
        *choice,
        *([] if choice else _budget(epsilon, policy, budget_state)),
    ]
    return Decision(request, epsilon, tuple(denials))
