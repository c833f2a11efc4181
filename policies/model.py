"""The policy model: frozen values that check themselves when they are built.

A :class:`Policy` is the collaboration's agreed rule set (signed by every party);
:class:`policies.rules.PartyRules` are one party's extra restrictions. Building any of
these with a broken value raises :class:`policies.InvalidPolicy` listing every problem
as ``"field: what is wrong"``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from functools import partial

from policies import checks
from policies.attribution import AttributionRules
from policies.exact import Duration, human_number
from policies.keys import KeySet
from policies.noise import NoiseRules
from policies.periods import Period
from protocols import DatasetKind

FORMAT = "cleanroom-policy/1"
_NAME = "[a-z][a-z0-9_]{0,62}"


class MatchProtocol(StrEnum):
    """How the parties' identifiers meet (``docs/reference/protocol.md``).

    ``v1``: both hold one match key and upload HMAC tokens. ``v2``: each blinds with a
    secret scalar of its own on ristretto255 and blinds the other's relayed points, so
    no one holding a single side's secret can test a guessed identifier.
    """

    V1 = "v1"
    V2 = "v2"


class Template(StrEnum):
    """The query templates a policy can allow."""

    OVERLAP = "overlap"
    CONVERSIONS = "conversions"
    LIFT = "lift"
    REACH_FREQUENCY = "reach_frequency"
    TIME_TO_CONVERSION = "time_to_conversion"
    FUNNEL = "funnel"


def check_dimension(kind: DatasetKind, name: str) -> None:
    """A dimension is a string attribute column, never a token, time, measure or flag."""
    if not isinstance(name, str) or not re.fullmatch(_NAME, name):
        raise ValueError(
            f"`{name}` is not a column name; use lowercase letters, digits and '_', "
            "starting with a letter"
        )
    from protocols import SCHEMAS  # pyarrow: loaded when a policy is checked, not at start-up

    schema = SCHEMAS[kind]
    if name in schema.required or name == "holdout" or name.startswith("token_"):
        raise ValueError(f"`{name}` is a required column of {kind} data, not a dimension")


@dataclass(frozen=True)
class Dimensions:
    """Attribute columns a query may break results down by, per dataset kind."""

    exposures: frozenset[str] = frozenset()
    purchases: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        checks.collect(
            [
                *self._checks(DatasetKind.EXPOSURES, self.exposures),
                *self._checks(DatasetKind.PURCHASES, self.purchases),
                ("exposures", self._disjoint),
            ],
            "dimensions",
        )

    @staticmethod
    def _checks(kind: DatasetKind, names: frozenset[str]) -> list[checks.Check]:
        return [(str(kind), partial(check_dimension, kind, name)) for name in sorted(names)]

    def _disjoint(self) -> None:
        for name in sorted(self.exposures & self.purchases):
            raise ValueError(
                f"`{name}` is also listed for purchases; "
                "a dimension must belong to one dataset kind"
            )

    def for_kind(self, kind: DatasetKind) -> frozenset[str]:
        if kind is DatasetKind.EXPOSURES:
            return self.exposures
        if kind is DatasetKind.PURCHASES:
            return self.purchases
        return frozenset()

    def kind_of(self, name: str) -> DatasetKind | None:
        """Which dataset kind holds dimension ``name`` (``None`` when it is not allowed)."""
        for kind in (DatasetKind.EXPOSURES, DatasetKind.PURCHASES):
            if name in self.for_kind(kind):
                return kind
        return None


@dataclass(frozen=True)
class WindowBounds:
    """Shortest and longest attribution window a query may ask for (inclusive)."""

    min: Duration
    max: Duration

    def contains(self, window: Duration) -> bool:
        return self.min <= window <= self.max


@dataclass(frozen=True)
class Budget:
    """Total epsilon that may be spent per refresh period, and over the whole lifetime.

    ``lifetime`` caps the sum over every period (it never refreshes); ``None`` means no
    cap, so the total over time grows with every refresh (``policy check`` says so).
    """

    epsilon: Fraction
    period: Period
    lifetime: Fraction | None = None

    def __post_init__(self) -> None:
        problems: list[checks.Check] = [("epsilon", lambda: checks.positive(self.epsilon))]
        if self.lifetime is not None:
            problems.append(("lifetime", lambda: checks.positive(self.lifetime)))
        checks.collect(problems, "budget")


@dataclass(frozen=True)
class ContributionBounds:
    """How much one person can move any released number."""

    max_campaigns_per_user: int
    max_purchases_per_user: int
    amount_cap: Fraction

    def __post_init__(self) -> None:
        checks.collect(
            [
                ("max_campaigns_per_user", lambda: checks.whole(self.max_campaigns_per_user, 1)),
                ("max_purchases_per_user", lambda: checks.whole(self.max_purchases_per_user, 1)),
                ("amount_cap", lambda: checks.positive(self.amount_cap)),
            ],
            "contribution",
        )


@dataclass(frozen=True)
class PinnedKeys:
    """Key fingerprints each named party must present (parties not named are unpinned).

    An empty set pins a party to nothing: no key of it is accepted. Policy files cannot
    say that (they must list a fingerprint); it arises when two parties pin disjoint keys.
    """

    entries: tuple[tuple[str, frozenset[str]], ...] = ()

    @classmethod
    def of(cls, pins: Mapping[str, Iterable[str]]) -> PinnedKeys:
        return cls(tuple(sorted((party, frozenset(fps)) for party, fps in pins.items())))

    def __post_init__(self) -> None:
        problems: list[checks.Check] = []
        for party, fps in self.entries:
            problems.append((party, partial(checks.slug, party)))
            problems.extend((party, partial(checks.fingerprint, fp)) for fp in sorted(fps))
        checks.collect(problems, "pinned_keys")
        object.__setattr__(self, "entries", tuple(sorted(dict(self.entries).items())))

    def for_party(self, party: str) -> frozenset[str] | None:
        """The fingerprints ``party`` is pinned to, or ``None`` when it is not pinned."""
        return dict(self.entries).get(party)

    def as_dict(self) -> dict[str, frozenset[str]]:
        return dict(self.entries)


class KeyPinning(StrEnum):
    """When registered keys become binding (``pin_keys``).

    ``on_registration``: once every party_admin has registered keys under an effective
    policy, the server fixes them as the collaboration's key roster; every party's agent
    checks the roster against what it knows and signs it, wraps the match key only to a
    roster every listed party signed, and the server refuses to replace a rostered key
    (even with a rotation signature) or to hold a wrap to a key outside it, until a
    policy version pinning other fingerprints (``pinned_keys``) is approved by every
    party. ``none``: keys are bound only by ``pinned_keys`` and each agent's trust store.
    """

    NONE = "none"
    ON_REGISTRATION = "on_registration"


@dataclass(frozen=True)
class Policy:
    """A collaboration policy: every field is required except ``pinned_keys``, ``keys``
    (without declared keys no query can group by that column) and ``attribution``
    (without it, ``conversions`` offers ``last_touch`` and ``first_touch`` only),
    ``pin_keys``, ``protocol`` and ``noise`` (default: discrete Laplace, pure DP)."""

    name: str
    version: int
    templates: frozenset[Template]
    dimensions: Dimensions
    window: WindowBounds
    k: int
    epsilon_choices: frozenset[Fraction]
    budget: Budget
    contribution: ContributionBounds
    receivers: frozenset[str]
    pinned_keys: PinnedKeys = field(default_factory=PinnedKeys)
    keys: KeySet = field(default_factory=KeySet)
    attribution: AttributionRules = field(default_factory=AttributionRules)
    pin_keys: KeyPinning = KeyPinning.NONE
    protocol: MatchProtocol = MatchProtocol.V1
    noise: NoiseRules = field(default_factory=NoiseRules)

    def __post_init__(self) -> None:
        checks.collect(
            [
                ("name", lambda: checks.slug(self.name)),
                ("version", lambda: checks.whole(self.version, 1)),
                ("templates", self._check_templates),
                ("window", self._check_window),
                ("k", lambda: checks.whole(self.k, 2)),
                ("epsilon_choices", lambda: checks.epsilon_choices(self.epsilon_choices)),
                ("epsilon_choices", self._check_within_budget),
                ("receivers", lambda: checks.parties(self.receivers, allow_empty=False)),
                ("keys", self.keys.check_declared),
                ("attribution", self._check_stage),
                ("pin_keys", self._check_pin_keys),
                ("protocol", self._check_protocol),
                ("noise", self._check_noise),
            ],
            f"policy `{self.name}`" if isinstance(self.name, str) else "policy",
        )

    def _check_pin_keys(self) -> None:
        if not isinstance(self.pin_keys, KeyPinning):
            raise ValueError(f"must be one of {', '.join(KeyPinning)}")

    def _check_protocol(self) -> None:
        if not isinstance(self.protocol, MatchProtocol):
            raise ValueError(f"{self.protocol!r} is not a MatchProtocol")

    def _check_noise(self) -> None:
        if not isinstance(self.noise, NoiseRules):
            raise ValueError(f"{self.noise!r} is not NoiseRules")

    def _check_templates(self) -> None:
        if not self.templates:
            raise ValueError("must allow at least one template")
        for template in self.templates:
            if not isinstance(template, Template):
                raise ValueError(f"{template!r} is not a Template")

    def _check_window(self) -> None:
        if self.window.min > self.window.max:
            raise ValueError(
                f"the minimum {self.window.min} is longer than the maximum {self.window.max}"
            )

    def _check_stage(self) -> None:
        stage = self.attribution.stage
        if stage is not None and stage.column not in self.dimensions.exposures:
            raise ValueError(
                f"stage.column `{stage.column}` must be one of dimensions.exposures "
                "(a touch's stage is a string column of the exposures)"
            )

    def _check_within_budget(self) -> None:
        choices = self.epsilon_choices if isinstance(self.epsilon_choices, frozenset) else ()
        for choice in sorted(c for c in choices if isinstance(c, Fraction)):
            if choice > self.budget.epsilon:
                raise ValueError(
                    f"{human_number(choice)} is more than the whole budget of "
                    f"{human_number(self.budget.epsilon)} per period"
                )

    @property
    def label(self) -> str:
        """How denials and provenance name this policy."""
        return f"the collaboration policy `{self.name}` v{self.version}"
