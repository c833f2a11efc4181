"""The party agent: the only program that ever touches a party's raw identifiers.

Python API for notebooks and BI tools: :mod:`party_agent.results` (run queries, fetch
results, DataFrames) and :mod:`party_agent.reporting` (budget reallocation plans as
DataFrames, HTML reports). :func:`plan_budget` and :func:`write_html` are also offered
here; they load on first use, so the command line starts without pandas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from party_agent.reporting import plan_budget, write_html

__all__ = ["plan_budget", "write_html"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from party_agent import reporting

        return getattr(reporting, name)
    raise AttributeError(f"module 'party_agent' has no attribute {name!r}")
