"""Reports and plans from released results: pure post-processing, shared by the party
agent (``party-agent report``, ``plan-budget``) and the server (the web console's charts,
``cleanroom demo``'s report). Nothing here queries, charges budget or reads anything but
the released results it is given.

- :mod:`~reports.number`: :class:`Number`, a released value with its 95% interval.
- :mod:`~reports.released`: :func:`read_result`, a stored result reply as typed rows.
- :mod:`~reports.style`: :class:`Style`, numbers for people in a currency and locale:
  the one number format of the report, the console, the demo and the agent's tables.
- :mod:`~reports.intervals`: :func:`interval_chart`, inline SVG interval charts.
- :mod:`~reports.plan`: :func:`plan_budget`, next period's spend from released returns
  (:mod:`~reports.returns` reads them, :mod:`~reports.allocate` solves the limits).
- :mod:`~reports.sections`: one section per template, looked up in :data:`SECTIONS`.
- :mod:`~reports.page`: :func:`render_report`, one self-contained HTML page.
- :mod:`~reports.errors`: :class:`ReportError` and :class:`PlanInfeasible`.

Imports only :mod:`policies` and :mod:`protocols` of ours; no I/O but
:func:`~reports.page.write_report`.
"""

from reports.errors import PlanInfeasible, ReportError
from reports.intervals import Series, interval_chart
from reports.number import Number
from reports.plan import BudgetPlan, Limits, PlanRow, plan_budget
from reports.released import Mechanism, Released, Row, read_result
from reports.style import Style

__all__ = [
    "BudgetPlan",
    "Limits",
    "Mechanism",
    "Number",
    "PlanInfeasible",
    "PlanRow",
    "Released",
    "ReportError",
    "Row",
    "Series",
    "Style",
    "interval_chart",
    "plan_budget",
    "read_result",
]
