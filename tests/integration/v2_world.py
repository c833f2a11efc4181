"""The query world of :mod:`tests.integration.query_world` under protocol v2.

Same users, attributes and policy (plus ``protocol: v2``), but each party blinds its
email tokens with its own scalars and no match key exists; after both uploads each
party blinds the other's relayed batch through the API (:func:`blind_all`, the code of
``party-agent blind``), and the server re-attaches and joins.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from party_agent.blinding import BlindSummary, blind_all
from party_agent.client import CleanRoomClient
from protocols import Blinder, BlindingScalar, IdType
from protocols.binding import bind_schema
from tests.integration import query_world as v1
from tests.integration.datasets import parquet_bytes
from tests.integration.query_world import Connect, QueryWorld, Shared
from tests.integration.uploading import upload
from tests.integration.world import make_collaboration

Scalars = dict[str, dict[str, BlindingScalar]]


def blinder(scalars: Scalars, party: str, collaboration_id: str) -> Blinder:
    return Blinder(scalars[party], collaboration_id, parallel=False)


def blinded(table: pa.Table, maker: Blinder, users: list[int]) -> pa.Table:
    """``table`` with its v1 email tokens replaced by ``maker``'s once-blinded points."""
    emails = pa.array([f"user{i}@example.com" for i in users])
    tokens = maker.tokenize_array(IdType.EMAIL, emails).tokens
    fields = [maker.token_field("email"), *list(table.schema)[1:]]
    schema = bind_schema(pa.schema(fields), maker)
    return pa.Table.from_arrays([tokens, *table.columns[1:]], schema=schema)


def make_v2_world(
    connect: Connect, admin_token: str, scalars: Scalars, name: str = "q2", **policy: Any
) -> QueryWorld:
    with connect(admin_token) as admin:
        text = v1.policy_yaml(**policy) + "protocol: v2\n"
        collab = make_collaboration(admin, name, v1.ROLES, policy_yaml=text)
    v1.approve_current(connect, collab)
    brand, retailer = (blinder(scalars, p, collab.id) for p in ("brand", "retailer"))
    uploads = [
        ("brand", blinded(v1.exposures(collab.id), brand, list(range(150))), "exp", "exposures"),
        (
            "retailer",
            blinded(v1.purchases(collab.id), retailer, list(range(60, 240))),
            "pur",
            "purchases",
        ),
        ("brand", v1.spend(), "spend", "spend"),
    ]
    for owner, table, dataset, kind in uploads:
        with connect(collab.members[owner].token) as member:
            reply = upload(member, collab.id, parquet_bytes(table), dataset, kind)
            assert reply.status_code in (200, 201), reply.text
    return QueryWorld(collab, connect)


def agent_client(world: QueryWorld, party: str) -> CleanRoomClient:
    """A party agent's client of the world's server (real or in-process)."""
    http = world.client(party)
    return CleanRoomClient(str(http.base_url), http=http)


def blind_for(world: QueryWorld, party: str, scalars: Scalars) -> BlindSummary:
    with agent_client(world, party) as client:
        return blind_all(client, world.id, lambda family: scalars[party][family])


def new_scalars() -> Scalars:
    return {p: {"email": BlindingScalar.generate()} for p in ("brand", "retailer")}


__all__ = ["Shared", "blind_for", "make_v2_world", "new_scalars"]
