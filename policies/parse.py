"""Turn a parsed YAML/JSON mapping into a :class:`Policy` or :class:`PartyRules`.

Every problem in the document is reported at once, each as ``"path: what is wrong"``;
an unknown field gets a "did you mean" suggestion.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any, TypeVar

from policies import checks
from policies.attribution import AttributionRules, parse_attribution, parse_rules_attribution
from policies.errors import InvalidPolicy
from policies.exact import Duration, parse_fraction
from policies.keys import KeySet, parse_keys
from policies.model import (
    FORMAT,
    Budget,
    ContributionBounds,
    Dimensions,
    KeyPinning,
    MatchProtocol,
    PinnedKeys,
    Policy,
    Template,
    WindowBounds,
)
from policies.noise import NoiseRules, parse_noise
from policies.periods import Period
from policies.rules import PartyRules

T = TypeVar("T")
_MISSING = object()
_SUB = {
    "dimensions": ("exposures", "purchases"),
    "window": ("min", "max"),
    "budget": ("epsilon", "period", "lifetime"),
    "contribution": ("max_campaigns_per_user", "max_purchases_per_user", "amount_cap"),
}
_COMMON = ("format", "version", "templates", *_SUB, "k", "epsilon_choices", "receivers")
_LEGACY = ("epsilon_per_query",)
POLICY_FIELDS = (
    "name",
    *_COMMON,
    "pinned_keys",
    "keys",
    "attribution",
    "pin_keys",
    "protocol",
    "noise",
    *_LEGACY,
)
RULES_FIELDS = ("party", *_COMMON, "pinned_keys", "keys", "attribution", *_LEGACY)


class _Reader:
    """Reads fields of one mapping, collecting problems instead of stopping at the first."""

    def __init__(self, data: object, path: str, fields: tuple[str, ...], problems: list[str]):
        self.path, self.problems = path, problems
        self.data: Mapping[Any, Any] = data if isinstance(data, Mapping) else {}
        self.quiet = not isinstance(data, Mapping)
        if self.quiet and data is not _MISSING:
            self.problems.append(f"{path or 'document'}: must be a mapping of fields")
        for key in self.data:
            if key not in fields:
                close = difflib.get_close_matches(str(key), fields, n=1)
                hint = f"; did you mean `{close[0]}`?" if close else ""
                self.problems.append(f"{self._at(str(key))}: is not a known field{hint}")

    def _at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def get(self, key: str, convert: Callable[[Any], T], *, required: bool = True) -> T | None:
        raw = self.data.get(key, _MISSING)
        if raw is _MISSING or raw is None:
            if required and not self.quiet:
                self.problems.append(f"{self._at(key)}: is required")
            return None
        try:
            return convert(raw)
        except InvalidPolicy as nested:
            self.problems.extend(f"{self._at(key)}.{problem}" for problem in nested.problems)
        except ValueError as error:
            self.problems.append(f"{self._at(key)}: {error}")
        return None

    def sub(self, key: str, *, required: bool = True) -> _Reader | None:
        if key not in self.data:
            if not required:
                return None
            if not self.quiet:
                self.problems.append(f"{self._at(key)}: is required")
        fields = (*_SUB[key], "spend") if key == "dimensions" else _SUB[key]
        return _Reader(self.data.get(key, _MISSING), self._at(key), fields, self.problems)


def _whole(minimum: int) -> Callable[[Any], int]:
    def convert(value: Any) -> int:
        checks.whole(value, minimum)
        return int(value)

    return convert


def _positive(value: Any) -> Fraction:
    number = parse_fraction(value)
    checks.positive(number)
    return number


def _choices(value: Any) -> frozenset[Fraction]:
    values = value if isinstance(value, list) else [value]
    choices = frozenset(parse_fraction(item) for item in values)
    if len(choices) < len(values):
        raise ValueError("lists an epsilon twice")
    checks.epsilon_choices(choices)
    return choices


def _epsilon_choices(r: _Reader, *, required: bool) -> frozenset[Fraction] | None:
    """``epsilon_choices``, or the old one-value ``epsilon_per_query`` read as one choice."""
    if "epsilon_per_query" not in r.data:
        return r.get("epsilon_choices", _choices, required=required)
    if "epsilon_choices" in r.data:
        r.problems.append(
            "epsilon_per_query: write only epsilon_choices "
            "(epsilon_per_query is its older one-value form)"
        )
        return None
    return r.get("epsilon_per_query", _choices)


def _text(value: Any) -> str:
    checks.slug(value)
    return str(value)


def _names(value: Any) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"must be a list of names, got {value!r}")
    return frozenset(value)


def _templates(value: Any) -> frozenset[Template]:
    known = ", ".join(sorted(Template))
    for name in sorted(_names(value)):
        if name not in set(Template):
            raise ValueError(f"`{name}` is not a template; choose from {known}")
    return frozenset(Template(name) for name in _names(value))


def _parties(value: Any) -> frozenset[str]:
    names = _names(value)
    checks.parties(names, allow_empty=True)
    return names


def _pins(value: Any) -> PinnedKeys:
    if not isinstance(value, Mapping):
        raise ValueError("must map each party to a list of key fingerprints")
    pins = {party: [fps] if isinstance(fps, str) else _names(fps) for party, fps in value.items()}
    for party, fps in sorted(pins.items()):
        if not fps:
            raise ValueError(f"{party}: list at least one fingerprint (leave the party out)")
    return PinnedKeys.of(pins)


def _protocol(value: Any) -> MatchProtocol:
    try:
        return MatchProtocol(value)
    except ValueError:
        raise ValueError(f"must be one of v1, v2, got {value!r}") from None


def _format(value: Any) -> str:
    if value != FORMAT:
        raise ValueError(f"this software reads {FORMAT!r}, got {value!r}")
    return FORMAT


def _dimension_sets(r: _Reader) -> tuple[frozenset[str] | None, frozenset[str] | None]:
    if "spend" in r.data:
        r.problems.append(f"{r.path}.spend: spend data has no dimensions")
        r.data = {k: v for k, v in r.data.items() if k != "spend"}
    exposures = r.get("exposures", _names, required=False)
    purchases = r.get("purchases", _names, required=False)
    try:
        Dimensions(exposures or frozenset(), purchases or frozenset())
    except InvalidPolicy as error:
        r.problems.extend(f"{r.path}.{problem}" for problem in error.problems)
    return exposures, purchases


def _pinning(value: object) -> KeyPinning:
    if isinstance(value, str) and value in set(KeyPinning):
        return KeyPinning(value)
    raise ValueError(f"must be one of {', '.join(KeyPinning)}")


def parse_policy(data: object) -> Policy:
    """Build a :class:`Policy` from a mapping; raises :class:`InvalidPolicy`."""
    problems: list[str] = []
    r = _Reader(data, "", POLICY_FIELDS, problems)
    r.get("format", _format, required=False)
    name = r.get("name", _text)
    values: dict[str, Any] = {
        "name": name,
        "version": r.get("version", _whole(1)),
        "templates": r.get("templates", _templates),
        "k": r.get("k", _whole(2)),
        "epsilon_choices": _epsilon_choices(r, required=True),
        "receivers": r.get("receivers", _parties),
        "pinned_keys": r.get("pinned_keys", _pins, required=False) or PinnedKeys(),
        "keys": r.get("keys", parse_keys, required=False) or KeySet(),
        "attribution": r.get("attribution", parse_attribution, required=False)
        or AttributionRules(),
        "pin_keys": r.get("pin_keys", _pinning, required=False) or KeyPinning.NONE,
        "protocol": r.get("protocol", _protocol, required=False) or MatchProtocol.V1,
        "noise": r.get("noise", parse_noise, required=False) or NoiseRules(),
    }
    dims, window, budget, contribution = (r.sub(key) for key in _SUB)
    assert dims and window and budget and contribution  # noqa: S101 - required=True
    exposures, purchases = _dimension_sets(dims)
    low, high = window.get("min", Duration.parse), window.get("max", Duration.parse)
    b_eps, period = budget.get("epsilon", _positive), budget.get("period", Period.parse)
    lifetime = budget.get("lifetime", _positive, required=False)
    caps = contribution.get("max_campaigns_per_user", _whole(1))
    buys = contribution.get("max_purchases_per_user", _whole(1))
    cap = contribution.get("amount_cap", _positive)
    subject = f"policy `{name}`" if name else "policy"
    if problems:
        raise InvalidPolicy(problems, subject)
    assert low and high and b_eps and period and caps and buys and cap  # noqa: S101
    return Policy(
        dimensions=Dimensions(exposures or frozenset(), purchases or frozenset()),
        window=WindowBounds(low, high),
        budget=Budget(b_eps, period, lifetime),
        contribution=ContributionBounds(caps, buys, cap),
        **values,
    )


def parse_party_rules(data: object) -> PartyRules:
    """Build :class:`PartyRules` from a mapping; raises :class:`InvalidPolicy`."""
    problems: list[str] = []
    r = _Reader(data, "", RULES_FIELDS, problems)
    r.get("format", _format, required=False)
    party = r.get("party", _text)
    values: dict[str, Any] = {
        "party": party,
        "version": r.get("version", _whole(1)),
        "templates": r.get("templates", _templates, required=False),
        "k": r.get("k", _whole(2), required=False),
        "epsilon_choices": _epsilon_choices(r, required=False),
        "receivers": r.get("receivers", _parties, required=False),
        "pinned_keys": r.get("pinned_keys", _pins, required=False),
        "keys": r.get("keys", parse_keys, required=False),
        "attribution_models": r.get("attribution", parse_rules_attribution, required=False),
    }
    if (dims := r.sub("dimensions", required=False)) is not None:
        values["exposure_dimensions"], values["purchase_dimensions"] = _dimension_sets(dims)
    if (window := r.sub("window", required=False)) is not None:
        values["window_min"] = window.get("min", Duration.parse, required=False)
        values["window_max"] = window.get("max", Duration.parse, required=False)
    if (budget := r.sub("budget", required=False)) is not None:
        if "period" in budget.data:
            problems.append(
                "budget.period: is set by the collaboration policy for everyone; "
                "a party's rules may only lower budget.epsilon and budget.lifetime"
            )
        values["budget_epsilon"] = budget.get("epsilon", _positive, required=False)
        values["budget_lifetime"] = budget.get("lifetime", _positive, required=False)
    if (contribution := r.sub("contribution", required=False)) is not None:
        for key in _SUB["contribution"]:
            convert = _positive if key == "amount_cap" else _whole(1)
            values[key] = contribution.get(key, convert, required=False)
    if problems:
        raise InvalidPolicy(problems, f"rules of `{party}`" if party else "party rules")
    return PartyRules(**values)
