"""Field checks shared by :class:`Policy` and :class:`PartyRules`.

Each check takes an already-typed value and raises ``ValueError`` with a message that
says what is wrong without naming the field; :func:`collect` adds the field path.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from fractions import Fraction

from policies.errors import InvalidPolicy
from policies.exact import human_number

_SLUG = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
_FINGERPRINT = re.compile(r"[0-9a-f]{4}( [0-9a-f]{4}){7}")

Check = tuple[str, Callable[[], None]]


def collect(checks: Iterable[Check], subject: str) -> None:
    """Run every check; raise one :class:`InvalidPolicy` listing all failures."""
    problems: list[str] = []
    for path, check in checks:
        try:
            check()
        except InvalidPolicy as nested:
            problems.extend(f"{path}.{problem}" for problem in nested.problems)
        except ValueError as error:
            problems.append(f"{path}: {error}")
    if problems:
        raise InvalidPolicy(problems, subject)


def shown(value: object) -> str:
    """A value as a message shows it: exact numbers as people write them."""
    return human_number(value) if isinstance(value, Fraction) else repr(value)


def slug(value: object) -> None:
    if not isinstance(value, str) or not _SLUG.fullmatch(value):
        raise ValueError(
            "must be 1 to 64 characters of lowercase letters, digits, '.', '_' or '-', "
            f"starting with a letter or digit, got {shown(value)}"
        )


def whole(value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"must be a whole number of at least {minimum}, got {shown(value)}")


def positive(value: object) -> None:
    if not isinstance(value, Fraction):
        raise ValueError(f"must be an exact number (Fraction), got {shown(value)}")
    if value <= 0:
        raise ValueError(f"must be greater than 0, got {human_number(value)}")


MAX_EPSILON_CHOICES = 8
MAX_EPSILON_DENOMINATOR = 1000


def epsilon_choices(values: object) -> None:
    """A short, non-empty set of simple positive exact numbers (denominator <= 1000).

    Bounding the set and each denominator keeps every sum the ledger can reach small:
    its denominator divides the least common multiple of the choices' denominators.
    """
    if not isinstance(values, frozenset) or not values:
        raise ValueError("list at least one allowed epsilon")
    if len(values) > MAX_EPSILON_CHOICES:
        raise ValueError(f"list at most {MAX_EPSILON_CHOICES} allowed epsilons, got {len(values)}")
    for value in sorted(values):
        positive(value)
        if value.denominator > MAX_EPSILON_DENOMINATOR:
            raise ValueError(
                f"{human_number(value)} is not a simple number; an allowed epsilon has a "
                f"denominator of at most {MAX_EPSILON_DENOMINATOR} (such as 0.05 or 1/3)"
            )


def parties(value: frozenset[str], *, allow_empty: bool) -> None:
    if not allow_empty and not value:
        raise ValueError("must name at least one party")
    for party in sorted(value):
        slug(party)


def fingerprint(value: str) -> None:
    if not _FINGERPRINT.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a key fingerprint; expected eight groups of four lowercase "
            "hex digits separated by spaces, as the key commands print them"
        )
