"""The brand's k - 1 probe against the closed-loop templates, through a real server.

Each template gets its own world (:mod:`tests.integration.probe`: 200 campaigns, each
with k - 1 known buyers, padding and one target) and a budget of epsilon 1, spent in
four questions that differ in their window (each a new question: fresh noise, charged
again). The attacker reads the cell where the target would land:

- ``funnel``: a campaign's ``converted`` stage (the target bought a day after its
  exposure) and its ``matched`` stage (the target bought anything at the retailer);
- ``reach_frequency``: the converted users of the one-exposure bucket;
- ``time_to_conversion``: the kept purchases of the first delay bucket, whose campaign
  total is also what the threshold reads (k - 1 known purchases plus the target's);
- an attribution comparison (``last_touch`` and ``linear`` in one query): each model's
  credited conversions.

Whatever it reads, its guess of each target's membership is no better than
``e^E / (1 + e^E)`` for the epsilon E it spent (within 3 standard errors). The control:
the same probe with a budget of epsilon 32 tells every target apart, so the test would
see a leak.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import httpx
import pytest

from tests.integration.probe import TARGETS, Probe, assert_within_epsilon, build_probe, probe_policy
from tests.integration.server import ServerProcess

ATTRIBUTION = "attribution: {models: [last_touch, linear]}\n"


@dataclass(frozen=True)
class Attack:
    """One template's question (by window) and the cells the attacker reads."""

    template: str
    extra: dict[str, Any]
    cells: dict[str, Callable[[dict[str, Any]], float | None]]
    """Attacker name -> the probed value of one released row (None: not this row)."""
    first_window: int = 2


def _cell(column: str, bucket: str | None = None) -> Callable[[dict[str, Any]], float | None]:
    def read(row: dict[str, Any]) -> float | None:
        if bucket is not None and row["key"][1] != bucket:
            return None
        value: float = row["values"][column][0]
        return value

    return read


ATTACKS = {
    "funnel": Attack(
        "funnel", {"horizon": "10d"}, {"converted": _cell("converted"), "matched": _cell("matched")}
    ),
    "reach_frequency": Attack(
        "reach_frequency",
        {"frequency_buckets": [1, 2]},
        {"converted": _cell("converted", "1")},
    ),
    "time_to_conversion": Attack(
        "time_to_conversion",
        {"delay_buckets": ["2d"]},
        {"purchases": _cell("purchases", "0-2d"), "total": _cell("campaign_purchases", "0-2d")},
        first_window=3,
    ),
    "attribution": Attack(
        "conversions",
        {"attribution": ["last_touch", "linear"]},
        {
            "last_touch": _cell("last_touch.credited_conversions"),
            "linear": _cell("linear.credited_conversions"),
        },
    ),
}


def _ask(probe: Probe, attack: Attack, days: int) -> httpx.Response:
    body = {"template": attack.template, "exposures": "exp", "purchases": "pur"}
    body |= {"window": f"{days}d", **attack.extra}
    with probe.world.client("brand") as brand:
        return brand.post(f"/v1/collaborations/{probe.world.id}/queries", json=body)


def _spend_the_budget(probe: Probe, attack: Attack) -> list[dict[str, Any]]:
    results = []
    for days in range(attack.first_window, 31):
        reply = _ask(probe, attack, days)
        if reply.status_code != 201:
            assert reply.status_code == 409, reply.text
            assert "budget_exhausted" in reply.text
            break
        results.append(reply.json()["result"])
    return results


def _probe(
    server: ServerProcess, admin: httpx.Client, name: str, per_query: str, budget: str
) -> tuple[Probe, dict[str, dict[str, list[float]]], Fraction]:
    """The world, each reader's released values per campaign, and the epsilon spent."""
    attack = ATTACKS[name]
    campaigns = [f"t{i:03d}" for i in range(TARGETS)]
    policy = probe_policy(
        campaigns, "[grocery]", "[north]", templates=f"[{attack.template}]",
        extra=ATTRIBUTION if name == "attribution" else "", per_query=per_query, budget=budget,
    )  # fmt: skip
    probe = build_probe(server, admin, f"probe-{name}-{budget}".replace("_", "-"), policy)
    results = _spend_the_budget(probe, attack)
    assert len(results) == 4 and all(
        Fraction(r["epsilon_spent"]) == Fraction(per_query) for r in results
    )
    spent = sum((Fraction(r["epsilon_spent"]) for r in results), Fraction(0))
    seen: dict[str, dict[str, list[float]]] = {}
    for reader, read in attack.cells.items():
        released = seen.setdefault(reader, {c: [] for c in campaigns})
        for result in results:
            for row in result["rows"]:
                if row["suppressed"] or row.get("remainder"):
                    continue
                value = read(row)
                if value is not None:
                    released[row["key"][0]].append(value)
        assert any(released.values()), reader  # the attacker did see released rows
    return probe, seen, spent


@pytest.mark.parametrize("name", list(ATTACKS))
def test_the_k_minus_1_probe_learns_no_more_than_the_epsilon_spent(
    server: ServerProcess, admin: httpx.Client, name: str
) -> None:
    probe, seen, spent = _probe(server, admin, name, "1/4", "1")
    assert spent == 1
    for released in seen.values():
        assert_within_epsilon(probe.is_customer, released, spent)


def test_the_same_probe_with_a_large_epsilon_tells_every_target_apart(
    server: ServerProcess, admin: httpx.Client
) -> None:
    probe, seen, spent = _probe(server, admin, "funnel", "8", "32")
    for released in seen.values():
        with pytest.raises(AssertionError):
            assert_within_epsilon(probe.is_customer, released, Fraction(1))
    assert spent == 32
