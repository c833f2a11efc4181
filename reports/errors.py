"""The one error of :mod:`reports`: bad input to a plan or a report, in plain words.

    ReportError            a result the report or plan cannot use (wrong template, no
    |                      spend, a campaign twice), an unknown currency or locale
    +-- PlanInfeasible     the limits cannot all hold (minimum spends above the total)

Messages name result ids, campaign ids and limits, never anything else.
"""

from __future__ import annotations


class ReportError(ValueError):
    """Input the reports package cannot use; the message says why in one line."""


class PlanInfeasible(ReportError):
    """No allocation meets the total, the change limit and the minimum spend at once."""
