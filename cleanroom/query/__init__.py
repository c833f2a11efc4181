"""The query layer: a domain request -> plan -> the one release path -> ledger and audit.

- :mod:`~cleanroom.query.request`: :class:`QuerySubmission`, what the layer takes (the
  HTTP wire model converts itself at the edge).
- :mod:`~cleanroom.query.plan`: datasets, effective policy, decision and repeat key.
- :mod:`~cleanroom.query.service`: :func:`submit_query`, the one path every query takes.
- :mod:`~cleanroom.query.ledger`: the privacy-budget ledger (exact, atomic).
- :mod:`~cleanroom.query.audit_entries`: the query layer's audit entries.
"""

from cleanroom.query.plan import Plan, plan_query
from cleanroom.query.request import QuerySubmission, join_family
from cleanroom.query.service import (
    BudgetAfter,
    QueryContext,
    QueryOutcome,
    engine_unavailable,
    submit_query,
)

__all__ = [
    "BudgetAfter",
    "Plan",
    "QueryContext",
    "QueryOutcome",
    "QuerySubmission",
    "engine_unavailable",
    "join_family",
    "plan_query",
    "submit_query",
]
