"""A query as the query layer takes it: domain values, converted at the edge.

The HTTP layer turns its wire model into a :class:`QuerySubmission`
(:meth:`cleanroom.server.query_schemas.QueryCreate.to_request`); the planner and the
release path never see pydantic models.
"""

from __future__ import annotations

from dataclasses import dataclass

import policies
from cleanroom.errors import RequestInvalid
from protocols import FAMILIES, IdType


def join_family(join: str) -> str:
    """The token family a join names: a family itself or any identifier type of it."""
    if join in FAMILIES:
        return join
    try:
        return IdType(join).family
    except ValueError:
        raise RequestInvalid(
            f"join: {join!r} is not an identifier type; choose from {', '.join(FAMILIES)}"
        ) from None


@dataclass(frozen=True)
class QuerySubmission:
    """One query over named datasets of a collaboration, for one requesting party."""

    query: policies.QueryRequest
    exposures: str
    purchases: str
    spend: str | None
    join_family: str
    remainder: bool = False

    @property
    def requester(self) -> str:
        return self.query.requester

    def datasets_wanted(self) -> list[tuple[str, str]]:
        """(kind, name) of every dataset the query reads."""
        wanted = [("exposures", self.exposures), ("purchases", self.purchases)]
        if self.spend:
            wanted.append(("spend", self.spend))
        return wanted
