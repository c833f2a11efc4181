"""Queries for the query layer's unit tests: a stocked room and domain submissions."""

from __future__ import annotations

from typing import Any

import policies
from cleanroom.query.request import QuerySubmission
from tests.integration.query_world import exposures, policy_yaml, purchases, spend
from tests.unit.cleanroom.room import Room


def stock(room: Room, **policy: Any) -> str:
    """Adopt ``policy_yaml(**policy)`` and publish exposures ``exp`` and spend ``spend``
    (brand's) and purchases ``pur`` (retailer's); returns the policy hash."""
    digest = room.adopt(policy_yaml(**policy))
    room.publish("brand", "exp", "exposures", exposures(room.id))
    room.publish("retailer", "pur", "purchases", purchases(room.id))
    room.publish("brand", "spend", "spend", spend())
    return digest


def ask(
    template: str = "conversions",
    *,
    requester: str = "brand",
    exposures: str = "exp",
    purchases: str = "pur",
    spend: str | None = None,
    join: str = "email",
    remainder: bool = False,
    **query: Any,
) -> QuerySubmission:
    """A submission as ``QueryCreate.to_request`` makes it (conversions default to 7 days)."""
    if template != "overlap":
        query.setdefault("window", "7d")
    request = policies.parse_query(template=template, requester=requester, **query)
    return QuerySubmission(request, exposures, purchases, spend, join, remainder)
