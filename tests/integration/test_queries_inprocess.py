"""The query layer on the in-process app: injected clock, exact mode, repeats, receivers.

Exact mode and the clock live in this process, so these tests call the ASGI app
through ``ASGIBridge``; the real-server tests are in ``test_queries_server.py``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from cleanroom.engine import GroupKeys
from cleanroom.release import ConversionsRequest, LiftRequest, ReleasePolicy, Sources, release
from cleanroom.release._testing import exact_mode
from cleanroom.storage.models import AuditEntry
from protocols.binding import META_NORMALIZATION
from protocols.normalize import NORMALIZATION_REVISION
from tests.integration.clock import Clock
from tests.integration.datasets import parquet_bytes
from tests.integration.query_world import (
    QueryWorld,
    conversions,
    exposures,
    in_process,
    make_world,
    purchases,
)
from tests.integration.uploading import upload


def world(app: FastAPI, **policy: Any) -> QueryWorld:
    return make_world(in_process(app), app.state.admin_token, **policy)


def query(w: QueryWorld, who: str, body: dict[str, Any]) -> Any:
    with w.client(who) as client:
        return client.post(f"/v1/collaborations/{w.id}/queries", json=body)


def test_budget_exhausts_in_plain_words_and_refreshes_at_the_period_boundary(
    app: FastAPI, clock: Clock
) -> None:
    w = world(app, budget="1")
    assert query(w, "brand", conversions("7d")).status_code == 201
    second = query(w, "brand", conversions("8d"))
    assert second.status_code == 201, second.text
    assert second.json()["budget"]["remaining"]["exact"] == "0/1"
    third = query(w, "brand", conversions("9d"))
    assert third.status_code == 409
    problem = third.json()
    assert problem["type"] == "urn:cleanroom:problem:budget-exhausted"
    assert problem["detail"].startswith("this query needs epsilon 0.5, 0 is left until 2026-12-01")
    assert [d["code"] for d in problem["denials"]] == ["budget_exhausted"]
    repeat = query(w, "retailer", conversions("8d"))
    assert (repeat.status_code, repeat.json()["id"]) == (200, second.json()["id"])
    clock.at = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    fourth = query(w, "brand", conversions("9d"))
    assert fourth.status_code == 201, fourth.text
    assert fourth.json()["budget"]["period_start"] == "2026-12-01T00:00:00+00:00"
    assert fourth.json()["budget"]["spent"]["exact"] == "1/2"


def test_identical_repeat_is_free_and_returns_the_same_result(app: FastAPI) -> None:
    w = world(app)
    first = query(w, "brand", conversions("7d", epsilon="1/4"))
    again = query(w, "retailer", conversions("7d", epsilon="0.25"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["reused"] is True and again.json()["epsilon_charged"] == "0/1"
    assert again.json()["result"] == first.json()["result"]
    with w.client("aud") as client:
        budget = client.get(f"/v1/collaborations/{w.id}/budget").json()
    assert budget["spent"]["exact"] == "1/4"


def test_denial_is_audited_with_every_reason(app: FastAPI) -> None:
    w = world(app)
    denied = query(w, "brand", conversions("60d", by="zip", epsilon="2"))
    assert denied.status_code == 403
    body = denied.json()
    assert body["type"] == "urn:cleanroom:problem:query-denied"
    codes = {d["code"] for d in body["denials"]}
    assert {"window_too_long", "dimension_not_allowed", "epsilon_not_allowed"} <= codes
    assert "dimension (submitted value) is not allowed by" in body["detail"]
    assert "zip" not in body["detail"]
    with app.state.sessionmaker() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "query.denied")).one()
    assert entry.collaboration_id == w.id
    assert len(entry.details["reasons"]) == len(body["reasons"])
    assert "zip" not in denied.text
    assert entry.outcome == "denied"


def test_exact_mode_result_equals_a_direct_release(app: FastAPI) -> None:
    w = world(app)
    with exact_mode():
        reply = query(w, "brand", conversions("7d", spend="spend", epsilon="1/2"))
    assert reply.status_code == 201, reply.text
    data_dir = app.state.settings.data_dir
    collab = data_dir / "datasets" / w.id
    sources = Sources(
        (collab / "exp" / "v1.parquet",),
        (collab / "pur" / "v1.parquet",),
        (collab / "spend" / "v1.parquet",),
    )
    policy = ReleasePolicy(
        epsilon=Fraction(1, 2),
        k=2,
        max_campaigns_per_user=3,
        max_purchases_per_user=5,
        amount_cap=Fraction(200),
        keys=GroupKeys(("cmp-0", "cmp-1", "cmp-2")),
    )
    with exact_mode():
        direct = release(sources, ConversionsRequest("email", 7 * 86_400), policy)
    assert reply.json()["result"] == direct.to_dict()
    assert reply.json()["result"]["exact"] is True


def test_exact_mode_lift_with_spend_releases_incremental_revenue_over_http(app: FastAPI) -> None:
    """The lift template gains revenue per arm, incremental revenue and ROAS when the
    query names a spend dataset; the numbers are what the direct release computes."""
    w = world(app)
    lift = {**conversions("7d", spend="spend", epsilon="1/2"), "template": "lift"}
    with exact_mode():
        reply = query(w, "brand", lift)
    assert reply.status_code == 201, reply.text
    result = reply.json()["result"]
    collab = app.state.settings.data_dir / "datasets" / w.id
    sources = Sources(
        (collab / "exp" / "v1.parquet",),
        (collab / "pur" / "v1.parquet",),
        (collab / "spend" / "v1.parquet",),
    )
    policy = ReleasePolicy(
        epsilon=Fraction(1, 2),
        k=2,
        max_campaigns_per_user=3,
        max_purchases_per_user=5,
        amount_cap=Fraction(200),
        keys=GroupKeys(("cmp-0", "cmp-1", "cmp-2")),
    )
    with exact_mode():
        direct = release(sources, LiftRequest("email", 7 * 86_400), policy)
    assert result == direct.to_dict()
    assert [m["statistic"] for m in result["mechanisms"]] == ["lift_cells", "lift_revenue_cents"]
    released = [row for row in direct.rows if not row.suppressed]
    assert released, "the small world releases at least one campaign"
    for row in released:
        exposed, holdout = row.values["exposed_revenue"], row.values["holdout_revenue"]
        users_e, users_h = row.values["exposed_users"], row.values["holdout_users"]
        incremental = row.values["incremental_revenue"]
        assert exposed and holdout and users_e and users_h and incremental
        scaled = holdout.value * users_e.value / users_h.value
        assert incremental.value == exposed.value - scaled


def budget_spent(w: QueryWorld) -> str:
    with w.client("aud") as client:
        spent: str = client.get(f"/v1/collaborations/{w.id}/budget").json()["spent"]["exact"]
    return spent


def test_party_rules_tighten_the_query_and_name_their_author(app: FastAPI) -> None:
    w = world(app, budget="5")
    before = query(w, "brand", conversions("7d"))
    assert before.status_code == 201
    rules = "party: retailer\nversion: 2\nwindow: {max: 14d}\n"
    with w.client("brand") as brand:
        refused = brand.put(f"/v1/collaborations/{w.id}/rules", json={"text": rules})
    assert refused.status_code == 403
    with w.client("retailer") as retailer:
        put = retailer.put(f"/v1/collaborations/{w.id}/rules", json={"text": rules})
        assert put.status_code == 201, put.text
        stale = retailer.put(f"/v1/collaborations/{w.id}/rules", json={"text": rules})
        assert stale.status_code == 409
    denied = query(w, "brand", conversions("20d"))
    assert denied.status_code == 403
    assert denied.json()["detail"] == (
        "window (submitted value) exceeds the maximum of 14d set by the retailer's policy v2"
    )
    after = query(w, "brand", conversions("7d"))
    assert after.status_code == 201, "a new effective policy is a new query, not a repeat"
    assert after.json()["effective_policy_hash"] != before.json()["effective_policy_hash"]
    assert after.json()["policy_hash"] == before.json()["policy_hash"]


def test_a_query_that_fails_before_release_charges_nothing(app: FastAPI) -> None:
    w = world(app)
    failed = query(w, "brand", conversions("7d", by="category"))
    assert failed.status_code == 422
    assert "has no column (submitted value)" in failed.json()["detail"]
    missing = query(w, "brand", conversions("7d", purchases="nope"))
    assert missing.status_code == 404
    assert budget_spent(w) == "0/1"


def test_a_new_dataset_version_is_a_new_query(app: FastAPI) -> None:
    w = world(app, budget="5")
    first = query(w, "brand", conversions("7d"))
    with w.client("brand") as brand:
        changed = exposures(w.id).slice(0, 140)  # identical bytes would be no new version
        again = upload(brand, w.id, parquet_bytes(changed), "exp", "exposures")
        assert again.status_code in (200, 201), again.text
    second = query(w, "brand", conversions("7d"))
    assert second.status_code == 201 and second.json()["id"] != first.json()["id"]
    assert [d["version"] for d in second.json()["datasets"]] == [2, 1]
    assert budget_spent(w) == "1/1"


def test_small_groups_are_suppressed_or_folded_into_a_remainder(app: FastAPI) -> None:
    w = world(app, k=30, budget="5")
    with exact_mode():
        plain = query(w, "brand", conversions("7d", by="channel"))
        folded = query(w, "brand", conversions("7d", by="channel", remainder=True))
    assert (plain.status_code, folded.status_code) == (201, 201), folded.text
    assert plain.json()["rows_suppressed"] == 6  # 3 campaigns x 2 channels, 25 users each
    assert all(row["suppressed"] for row in plain.json()["result"]["rows"])
    assert all(v is None for row in plain.json()["result"]["rows"] for v in row["values"].values())
    last = folded.json()["result"]["rows"][-1]
    assert last["remainder"] is True and last["suppressed"] is False
    assert last["values"]["exposed_users"][0] == 135  # 150 users, every 10th in a holdout arm
    assert folded.json()["request"]["remainder"] is True


def test_granted_query_is_sealed_with_its_charge_and_digests(app: FastAPI) -> None:
    w = world(app, budget="2")
    reply = query(w, "brand", conversions("7d")).json()
    with app.state.sessionmaker() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "query.granted")
        ).one()
    sealed = json.loads(entry.record_json)
    assert sealed["epsilon_charged"] == "1/2" and sealed["budget_left"] == "3/2"
    assert sealed["result_digest"] == reply["digest"] == reply["result"]["digest"]
    assert sealed["policy_hash"] == reply["policy_hash"]
    assert sealed["rows_suppressed"] == reply["rows_suppressed"]
    assert len(sealed["request_digest"]) == 64 and entry.outcome == "granted"
    assert sealed["details"]["result_id"] == reply["id"]
    assert sealed["details"]["lifetime_spent"] == "1/2"


def test_token_files_normalized_under_different_revisions_are_not_joined(app: FastAPI) -> None:
    """A retailer on an older agent (revision 1 of the rules) would match silently less."""
    w = world(app, budget="1")
    table = purchases(w.id)
    older = table.replace_schema_metadata({**table.schema.metadata, META_NORMALIZATION: b"1"})
    with w.client("retailer") as retailer:
        reply = upload(retailer, w.id, parquet_bytes(older), "pur", "purchases")
    assert reply.status_code in (200, 201), reply.text
    refused = query(w, "brand", conversions("7d"))
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert problem["type"] == "urn:cleanroom:problem:normalization-mismatch"
    assert problem["detail"] == (
        "the datasets were tokenized under different normalization revisions (the exposures "
        f"{NORMALIZATION_REVISION} and the purchases 1), so the same identifier can "
        "give different tokens; both parties tokenize again with the same release of the "
        "party agent; nothing was charged"
    )
    with w.client("aud") as auditor:
        assert auditor.get(f"/v1/collaborations/{w.id}/budget").json()["spent"]["exact"] == "0/1"
    with w.client("retailer") as retailer:
        again = upload(retailer, w.id, parquet_bytes(table), "pur", "purchases")
    assert again.status_code in (200, 201), again.text
    assert query(w, "brand", conversions("7d")).status_code == 201
