"""Released results next to the truth: the one shape the tables, the HTML report and the
JSON document all read (:class:`reports.Released`, with the truth of
:mod:`cleanroom.demo.truth` attached to every number)."""

from __future__ import annotations

from typing import Any

from cleanroom.demo.truth import Table
from reports import Released, Row, read_result

__all__ = ["Released", "Row", "attach_truth"]


def attach_truth(reply: dict[str, Any], truth: Table) -> Released:
    """Read a query reply (``party-agent query ... --json``) and pair it with ``truth``."""
    return read_result(reply, truth)
