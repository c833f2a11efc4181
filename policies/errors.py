"""Errors raised by :mod:`policies`.

Every message is written for a person (a compliance officer reading a CLI or an HTTP
problem detail), names the field it is about, and never contains identifiers.

    PolicyError
    +-- InvalidPolicy        a policy or party-rules document breaks a rule; ``problems``
    |                        lists every broken rule as ``"field: what is wrong"``
    +-- InvalidQuery         a query request is malformed (e.g. a window on ``overlap``)
    +-- PolicyDenied         a query is refused; ``decision`` holds every reason
    +-- BudgetExceeded       a charge would spend more than the budget left
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - typing only
    from policies.evaluate import Decision


class PolicyError(Exception):
    """Base class of every error raised by :mod:`policies`."""


class InvalidPolicy(PolicyError, ValueError):
    """A policy document is not valid; ``problems`` says every reason, one per line."""

    def __init__(self, problems: Sequence[str], subject: str = "policy") -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        self.subject = subject
        listed = "; ".join(self.problems)
        super().__init__(f"invalid {subject}: {listed}")

    def under(self, path: str) -> InvalidPolicy:
        """The same problems, each prefixed by the field ``path`` it sits under."""
        return InvalidPolicy([f"{path}.{problem}" for problem in self.problems], self.subject)


class InvalidQuery(PolicyError, ValueError):
    """A query request is malformed, whatever the policy says."""


class PolicyDenied(PolicyError):
    """A query was refused by the effective policy."""

    def __init__(self, decision: Decision) -> None:
        self.decision = decision
        super().__init__("; ".join(decision.reasons))


class BudgetExceeded(PolicyError):
    """Charging this epsilon would spend more than the budget left in the period."""
