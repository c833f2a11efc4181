"""One clock for the whole server: every timestamp it writes comes from the storage's clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from sqlalchemy import select

from cleanroom.storage.models import (
    AuditEntry,
    Collaboration,
    DatasetVersion,
    Member,
    UploadSession,
)
from cleanroom.storage.query_tables import BudgetLedgerRow, StoredResult
from tests.integration.clock import Clock
from tests.integration.datasets import parquet_bytes
from tests.integration.query_world import conversions, exposures, in_process, make_world
from tests.integration.uploading import CHUNK, put, start


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def test_audit_entries_uploads_and_queries_take_the_injected_time(
    app: FastAPI, clock: Clock
) -> None:
    clock.at = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
    world = make_world(in_process(app), app.state.admin_token)
    with world.client("brand") as brand:
        reply = brand.post(f"/v1/collaborations/{world.id}/queries", json=conversions())
        assert reply.status_code == 201, reply.text
        assert reply.json()["budget"]["period_start"] == "2031-05-01T00:00:00+00:00"
    with app.state.sessionmaker() as session:
        stamps = [
            *session.scalars(select(Collaboration.created_at)),
            *session.scalars(select(Member.created_at)),
            *session.scalars(select(UploadSession.updated_at)),
            *session.scalars(select(DatasetVersion.created_at)),
            *session.scalars(select(StoredResult.created_at)),
            *session.scalars(select(BudgetLedgerRow.updated_at)),
        ]
        times = [json.loads(r)["time"] for r in session.scalars(select(AuditEntry.record_json))]
        entry_times = list(session.scalars(select(AuditEntry.time)))
    assert len(stamps) > 10
    assert {_aware(s) for s in stamps} == {clock.at}
    # the first entry is the bootstrap admin token, issued by the fixture at its start time
    assert times[0] == "2026-11-30T23:00:00.000000Z"
    assert set(times[1:]) == {"2031-05-06T07:08:09.000000Z"} and len(times) > 10
    assert {_aware(t) for t in entry_times[1:]} == {clock.at}


def test_an_idle_upload_expires_and_the_server_lets_go_of_its_state(
    app: FastAPI, clock: Clock
) -> None:
    world = make_world(in_process(app), app.state.admin_token)
    data = parquet_bytes(exposures(world.id))
    with world.client("brand") as brand:
        first = start(brand, world.id, data, "later", "exposures")
        assert put(brand, world.id, first["id"], 0, data[:CHUNK]).status_code == 200
        assert first["id"] in app.state.uploads_in_flight
        clock.at += timedelta(hours=25)  # past upload_idle_hours (24)
        start(brand, world.id, data, "now", "exposures")  # a new session expires idle ones
        assert first["id"] not in app.state.uploads_in_flight
        gone = put(brand, world.id, first["id"], CHUNK, data[CHUNK : 2 * CHUNK])
    assert gone.status_code == 409 and "no chunk for 24 hours" in gone.json()["detail"]
