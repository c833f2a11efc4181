"""Attacks from a party that controls its own upload, through a real server on loopback.

The brand's k - 1 probe (:mod:`tests.integration.probe`) against ``conversions`` by
category, with as many windows (each a new query with fresh noise) as the budget allows:
no guess of a target's membership beats what the epsilon spent allows.

A rare value in a purchases column (or an undeclared campaign id) makes no row of its
own: the rows are the declared keys.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import httpx
import pytest

from tests.integration.probe import (
    Probe,
    assert_within_epsilon,
    build_probe,
    exposures,
    probe_policy,
    purchases,
    put,
    world,
)
from tests.integration.query_world import QueryWorld
from tests.integration.server import ServerProcess


def ask(w: QueryWorld, window: str, by: str = "category") -> httpx.Response:
    body = {"template": "conversions", "exposures": "exp", "purchases": "pur"}
    body |= {"window": window, "by": by}
    with w.client("brand") as brand:
        return brand.post(f"/v1/collaborations/{w.id}/queries", json=body)


@pytest.fixture(scope="module")
def probed(server: ServerProcess, admin: httpx.Client) -> Iterator[tuple[Probe, list[Any]]]:
    """The world the brand built, and every result it could get within the budget."""
    campaigns = [f"t{i:03d}" for i in range(200)]
    probe = build_probe(server, admin, "probe", probe_policy(campaigns, "[grocery]", "[north]"))
    results = []
    for days in range(2, 31):  # each window is a new question: fresh noise, charged again
        reply = ask(probe.world, f"{days}d")
        if reply.status_code != 201:
            assert reply.status_code == 409, reply.text
            assert "budget_exhausted" in reply.text
            break
        results.append(reply.json()["result"])
    yield probe, results


def test_the_probe_spends_the_whole_budget(probed: tuple[Probe, list[Any]]) -> None:
    _, results = probed
    assert len(results) == 4  # epsilon 1 at 1/4 per query
    assert all(r["epsilon_spent"] == "1/4" for r in results)


def test_guessing_a_target_is_no_better_than_the_epsilon_spent_allows(
    probed: tuple[Probe, list[Any]],
) -> None:
    probe, results = probed
    released: dict[str, list[float]] = {c: [] for c in probe.campaigns}
    for result in results:
        for row in result["rows"]:
            if not row["suppressed"] and not row["remainder"]:
                released[row["key"][0]].append(row["values"]["converted_users"][0])
    spent = sum((Fraction(result["epsilon_spent"]) for result in results), Fraction(0))
    assert_within_epsilon(probe.is_customer, released, spent)


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
