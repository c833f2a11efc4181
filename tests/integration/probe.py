"""The brand's k - 1 probe: a world a party builds from its own token files.

The brand holds the match key, so it builds its own token files. It gives each of
``TARGETS`` campaigns exactly ``k - 1`` people it knows bought at the retailer, plus one
target, plus exposed people who never buy (so the campaign's exposed count is surely
above ``k``). A row's converted count is then ``k`` when the target is a customer and
``k - 1`` when not: the calibration that, with a threshold reading true counts, tells
the target's membership apart almost every time.

The bound: every query is epsilon-DP over the one-user neighbour relation, so the whole
probe is E-DP with E the epsilon it spent. For a balanced prior, any test of "is the
target in the retailer's data" from an E-DP output is right with probability at most
``e^E / (1 + e^E)`` (0.731 for E = 1). Over 200 independent targets the observed
accuracy has a standard error of at most 0.035; :func:`assert_within_epsilon` allows 3.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

import httpx
import numpy as np
import pyarrow as pa

from protocols import Tokenizer, token_field
from protocols.binding import bind_schema
from tests.integration.datasets import parquet_bytes
from tests.integration.query_world import (
    KEY,
    T0,
    QueryWorld,
    approve_current,
    register_key,
    tokens,
)
from tests.integration.server import ServerProcess
from tests.integration.uploading import upload
from tests.integration.world import api, make_collaboration

K = 5
TARGETS = 200
PADDING = 60
DAY = 86_400
ROLES = {"brand": "party_admin", "retailer": "party_admin"}


def probe_policy(
    campaigns: list[str],
    category: str,
    region: str,
    templates: str = "[conversions]",
    extra: str = "",
    per_query: str = "1/4",
    budget: str = "1",
) -> str:
    return f"""format: cleanroom-policy/1
name: probe
version: 1
templates: {templates}
dimensions: {{exposures: [], purchases: [category, store_region]}}
window: {{min: 1d, max: 30d}}
k: {K}
epsilon_per_query: "{per_query}"
budget: {{epsilon: "{budget}", period: monthly}}
contribution: {{max_campaigns_per_user: 1, max_purchases_per_user: 1, amount_cap: 10}}
receivers: [brand, retailer]
keys:
  campaign_id: [{", ".join(campaigns)}]
  category: {category}
  store_region: {region}
{extra}"""


def _tokened(collab: str, table: pa.Table) -> bytes:
    """The table with its token column tagged and bound as the agent does it."""
    schema = table.schema.set(0, token_field("email"))
    bound = bind_schema(schema, Tokenizer(KEY, collab, parallel=False))
    return parquet_bytes(table.cast(bound))


def exposures(collab: str, rows: list[tuple[int, str]]) -> bytes:
    users = [u for u, _ in rows]
    return _tokened(
        collab,
        pa.table(
            {
                "token_email": tokens(collab, users),
                "campaign_id": pa.array([c for _, c in rows]),
                "exposure_time": pa.array([T0] * len(rows), pa.int64()),
                "holdout": pa.array([False] * len(rows)),
            }
        ),
    )


def purchases(collab: str, rows: list[tuple[int, str, str]]) -> bytes:
    users = [u for u, _, _ in rows]
    return _tokened(
        collab,
        pa.table(
            {
                "token_email": tokens(collab, users),
                "purchase_time": pa.array([T0 + DAY] * len(rows), pa.int64()),
                "amount": pa.array([10.0] * len(rows)),
                "category": pa.array([c for _, c, _ in rows]),
                "store_region": pa.array([r for _, _, r in rows]),
            }
        ),
    )


def world(server: ServerProcess, admin: httpx.Client, name: str, policy: str) -> QueryWorld:
    def connect(token: str) -> httpx.Client:
        return api(server.url, token)

    collab = make_collaboration(admin, name, ROLES, policy_yaml=policy)
    approve_current(connect, collab)
    register_key(connect, collab)
    return QueryWorld(collab, connect)


def put(w: QueryWorld, owner: str, data: bytes, dataset: str, kind: str) -> None:
    with w.client(owner) as member:
        reply = upload(member, w.id, data, dataset, kind)
    assert reply.status_code in (200, 201), reply.text


@dataclass(frozen=True)
class Probe:
    """The world the brand built and which targets really are the retailer's customers."""

    world: QueryWorld
    campaigns: list[str]
    is_customer: dict[str, bool]


def build_probe(server: ServerProcess, admin: httpx.Client, name: str, policy: str) -> Probe:
    """``TARGETS`` campaigns, each with k - 1 known buyers, padding, and one target."""
    campaigns = [f"t{i:03d}" for i in range(TARGETS)]
    w = world(server, admin, name, policy)
    draws = np.random.default_rng(11).random(TARGETS) < 0.5
    is_customer = {c: bool(d) for c, d in zip(campaigns, draws, strict=True)}
    exposed: list[tuple[int, str]] = []
    bought: list[tuple[int, str, str]] = []
    for i, campaign in enumerate(campaigns):
        known = [10_000 + i * (K - 1) + j for j in range(K - 1)]
        padding = [100_000 + i * PADDING + j for j in range(PADDING)]
        exposed += [(u, campaign) for u in [i, *known, *padding]]
        bought += [(u, "grocery", "north") for u in known]
        if is_customer[campaign]:
            bought.append((i, "grocery", "north"))
    put(w, "brand", exposures(w.id, exposed), "exp", "exposures")
    put(w, "retailer", purchases(w.id, bought), "pur", "purchases")
    return Probe(w, campaigns, is_customer)


def guesses(released: Mapping[str, list[float]]) -> dict[str, dict[str, bool]]:
    """Two attackers' guesses ("the target is a customer") per campaign.

    ``released`` holds, per campaign, the noisy value of the probed cell from every
    result that released the row: one attacker says "customer" whenever anything was
    released (the threshold's decision), the other when the released values average
    to ``k - 1/2`` or more.
    """
    return {
        "any release": {c: bool(v) for c, v in released.items()},
        "released values": {c: bool(v) and sum(v) / len(v) >= K - 0.5 for c, v in released.items()},
    }


def assert_within_epsilon(
    truth: Mapping[str, bool], released: Mapping[str, list[float]], spent: Fraction
) -> None:
    """Neither attacker beats ``e^E / (1 + e^E)`` by more than 3 standard errors."""
    bound = math.exp(spent) / (1 + math.exp(spent))
    tolerance = 3 * 0.5 / math.sqrt(len(truth))
    for name, guess in guesses(released).items():
        accuracy = sum(guess.get(c, False) == truth[c] for c in truth) / len(truth)
        assert accuracy <= bound + tolerance, (name, accuracy, bound)
