"""Attacks from a party that controls its own upload, through a real server on loopback.

The brand holds the match key, so it builds its own token files. It gives each of 200
campaigns exactly ``k - 1`` people it knows bought groceries at the retailer, plus one
target, plus exposed people who never buy (so the campaign's exposed count is surely
above ``k``), and asks ``conversions`` by category with as many windows (each a new
query with fresh noise) as the budget allows. The converted count of a campaign's row
is then ``k`` when the target is a customer and ``k - 1`` when not: exactly the
calibration that, with a threshold reading true counts, told the target's membership
apart almost every time.

The bound: every query is epsilon-DP over the one-user neighbour relation, so the whole
probe is E-DP with E the epsilon it spent. For a balanced prior, any test of "is the
target in the retailer's data" from an E-DP output is right with probability at most
``e^E / (1 + e^E)`` (0.731 for E = 1). Over 200 independent targets the observed
accuracy has a standard error of at most 0.035; the test allows 3 of them.

A rare value in a purchases column (or an undeclared campaign id) makes no row of its
own: the rows are the declared keys.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import httpx
import numpy as np
import pyarrow as pa
import pytest

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
BUDGET, PER_QUERY = 1, "1/4"
DAY = 86_400
ROLES = {"brand": "party_admin", "retailer": "party_admin"}


def probe_policy(campaigns: list[str], category: str, region: str) -> str:
    return f"""format: cleanroom-policy/1
name: probe
version: 1
templates: [conversions]
dimensions: {{exposures: [], purchases: [category, store_region]}}
window: {{min: 1d, max: 30d}}
k: {K}
epsilon_per_query: "{PER_QUERY}"
budget: {{epsilon: "{BUDGET}", period: monthly}}
contribution: {{max_campaigns_per_user: 1, max_purchases_per_user: 1, amount_cap: 10}}
receivers: [brand, retailer]
keys:
  campaign_id: [{", ".join(campaigns)}]
  category: {category}
  store_region: {region}
"""


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


def ask(w: QueryWorld, window: str, by: str = "category") -> httpx.Response:
    body = {"template": "conversions", "exposures": "exp", "purchases": "pur"}
    body |= {"window": window, "by": by}
    with w.client("brand") as brand:
        return brand.post(f"/v1/collaborations/{w.id}/queries", json=body)


@pytest.fixture(scope="module")
def probed(
    server: ServerProcess, admin: httpx.Client
) -> Iterator[tuple[dict[str, bool], list[Any]]]:
    """The world the brand built, and every result it could get within the budget."""
    campaigns = [f"t{i:03d}" for i in range(TARGETS)]
    w = world(server, admin, "probe", probe_policy(campaigns, "[grocery]", "[north]"))
    is_customer = dict(zip(campaigns, np.random.default_rng(11).random(TARGETS) < 0.5, strict=True))
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
    results = []
    for days in range(2, 31):  # each window is a new question: fresh noise, charged again
        reply = ask(w, f"{days}d")
        if reply.status_code != 201:
            assert reply.status_code == 409, reply.text
            assert "budget_exhausted" in reply.text
            break
        results.append(reply.json()["result"])
    yield {c: bool(v) for c, v in is_customer.items()}, results


def test_the_probe_spends_the_whole_budget(probed: tuple[dict[str, bool], list[Any]]) -> None:
    _, results = probed
    assert len(results) == 4  # epsilon 1 at 1/4 per query
    assert all(r["epsilon_spent"] == "1/4" for r in results)


def _guesses(results: list[Any]) -> dict[str, dict[str, bool]]:
    """Two attackers' guesses ("the target is a customer") per campaign."""
    released: dict[str, list[float]] = {}
    for result in results:
        for row in result["rows"]:
            values = released.setdefault(row["key"][0], [])
            if not row["suppressed"]:
                values.append(row["values"]["converted_users"][0])
    return {
        "any release": {c: bool(v) for c, v in released.items()},
        "released values": {c: bool(v) and sum(v) / len(v) >= K - 0.5 for c, v in released.items()},
    }


def test_guessing_a_target_is_no_better_than_the_epsilon_spent_allows(
    probed: tuple[dict[str, bool], list[Any]],
) -> None:
    truth, results = probed
    spent = float(sum(Fraction(result["epsilon_spent"]) for result in results))
    bound = math.exp(spent) / (1 + math.exp(spent))  # 0.731 for epsilon 1
    tolerance = 3 * 0.5 / math.sqrt(TARGETS)  # 3 standard errors of an accuracy
    for name, guess in _guesses(results).items():
        accuracy = sum(guess[c] == truth[c] for c in truth) / len(truth)
        assert accuracy <= bound + tolerance, (name, accuracy)


def test_rows_are_the_declared_keys_and_a_rare_value_makes_no_row(
    server: ServerProcess, admin: httpx.Client
) -> None:
    campaigns = ["spring", "summer"]
    policy = probe_policy(campaigns, "[grocery]", "{values: [north], other: true}")
    w = world(server, admin, "rare", policy)
    exposed = [(u, campaigns[u % 2]) for u in range(40)] + [(99, "secret-campaign")]
    bought = [(u, "grocery", "north") for u in range(40)] + [(7, "rare-orchid", "atlantis")]
    put(w, "brand", exposures(w.id, exposed), "exp", "exposures")
    put(w, "retailer", purchases(w.id, bought), "pur", "purchases")
    by_category = ask(w, "7d")
    assert by_category.status_code == 201, by_category.text
    rows = by_category.json()["result"]["rows"]
    assert [row["key"] for row in rows if not row["remainder"]] == [
        ["spring", "grocery"],
        ["summer", "grocery"],
    ]
    by_region = ask(w, "7d", by="store_region")
    assert by_region.status_code == 201, by_region.text
    keys = [row["key"] for row in by_region.json()["result"]["rows"] if not row["remainder"]]
    assert keys == [
        ["spring", "north"],
        ["spring", "other"],
        ["summer", "north"],
        ["summer", "other"],
    ]
    for text in (by_category.text, by_region.text):
        for secret in ("rare-orchid", "atlantis", "secret-campaign"):
            assert secret not in text


def test_grouping_by_a_column_without_declared_keys_is_refused_in_plain_words(
    server: ServerProcess, admin: httpx.Client
) -> None:
    policy = probe_policy(["spring"], "[grocery]", "[north]")
    policy = policy.replace("  campaign_id: [spring]\n", "")
    w = world(server, admin, "nokeys", policy)
    put(w, "brand", exposures(w.id, [(u, "spring") for u in range(10)]), "exp", "exposures")
    put(w, "retailer", purchases(w.id, [(1, "grocery", "north")]), "pur", "purchases")
    reply = ask(w, "7d")
    assert reply.status_code == 403, reply.text
    assert reply.headers["content-type"].startswith("application/problem+json")
    [denial] = reply.json()["denials"]
    assert denial["code"] == "keys_not_declared"
    assert denial["message"] == (
        "no keys are declared for `campaign_id`, so no query may group by it; the "
        "collaboration policy `probe` v1 (or a party's rules) must list its values under `keys`"
    )
