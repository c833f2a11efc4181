"""Protocol v2 on the in-process app: v1 and v2 release the same aggregates (exact mode),
queries wait for the blinding, and malformed replies are refused.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi import FastAPI

from cleanroom.release._testing import exact_mode
from protocols import (
    DOUBLY_BLINDED_VERSION,
    Blinder,
    BlindingScalar,
    RelayFrame,
    RelayStep,
    encode_frame,
    token_version,
)
from protocols.binding import bind_schema
from tests.integration.datasets import parquet_bytes
from tests.integration.query_world import QueryWorld, exposures, in_process, make_world
from tests.integration.uploading import upload
from tests.integration.v2_world import (
    agent_client,
    blind_for,
    blinded,
    make_v2_world,
    new_scalars,
)

QUERIES: list[dict[str, Any]] = [
    {"template": "overlap", "exposures": "exp", "purchases": "pur", "epsilon": "1/4"},
    {
        "template": "conversions",
        "exposures": "exp",
        "purchases": "pur",
        "window": "7d",
        "spend": "spend",
        "epsilon": "1/4",
    },
    {"template": "lift", "exposures": "exp", "purchases": "pur", "window": "7d", "epsilon": "1/4"},
]


def query(w: QueryWorld, body: dict[str, Any]) -> Any:
    with w.client("brand") as client:
        return client.post(f"/v1/collaborations/{w.id}/queries", json=body)


@pytest.fixture
def worlds(app: FastAPI) -> tuple[QueryWorld, QueryWorld]:
    connect = in_process(app)
    scalars = new_scalars()
    v1 = make_world(connect, app.state.admin_token, name="v1", budget="2")
    v2 = make_v2_world(connect, app.state.admin_token, scalars, name="v2", budget="2")
    pending = query(v2, QUERIES[0])
    assert pending.status_code == 409, pending.text
    assert pending.json()["type"].endswith("blinding-pending")
    assert blind_for(v2, "brand", scalars).points == 180  # the retailer's 180 buyers
    assert blind_for(v2, "retailer", scalars).points == 150
    assert blind_for(v2, "brand", scalars).batches == 0  # nothing left: resumable, idempotent
    return v1, v2


def _released(reply: Any) -> Any:
    assert reply.status_code == 201, reply.text
    return reply.json()["result"]


@pytest.mark.parametrize("body", QUERIES, ids=[q["template"] for q in QUERIES])
def test_v1_and_v2_release_the_same_aggregates(
    worlds: tuple[QueryWorld, QueryWorld], body: dict[str, Any]
) -> None:
    v1, v2 = worlds
    with exact_mode():
        first, second = _released(query(v1, body)), _released(query(v2, body))
    assert first["exact"] is True
    assert first == second  # the same numbers, rows, suppression and digest
    released = [r for r in second["rows"] if not r["suppressed"]]
    assert any(value[0] > 0 for row in released for value in row["values"].values())
    if body["template"] == "overlap":  # users 60-149 are on both sides
        matched = next(r for r in second["rows"] if r["key"] == ["matched"])
        assert matched["values"]["users"][0] == 90


def test_the_joined_files_hold_doubly_blinded_columns_only(
    app: FastAPI, worlds: tuple[QueryWorld, QueryWorld]
) -> None:
    _, v2 = worlds
    folder = app.state.settings.data_dir / "datasets" / v2.id
    assert app.state.preparer.wait_idle(60)
    for name in ("exp", "pur"):
        files = sorted(p.name for p in (folder / name).iterdir())
        assert files == ["v1.blinded.parquet", "v1.blinded.prepared.parquet"]
        for file in files:
            schema = pq.read_schema(folder / name / file)
            assert token_version(schema.field("token_email")) == DOUBLY_BLINDED_VERSION
    assert not (app.state.settings.data_dir / "blinding").exists() or not any(
        (app.state.settings.data_dir / "blinding").iterdir()
    )


def test_a_reply_with_a_bad_point_is_refused_and_nothing_is_stored(app: FastAPI) -> None:
    connect = in_process(app)
    scalars = new_scalars()
    w = make_v2_world(connect, app.state.admin_token, scalars, name="bad")
    with agent_client(w, "brand") as client:
        batch = client.blinding_batches(w.id)["batches"][0]
        assert batch["protocol"] == "v2" and batch["count"] == 180
        frame = encode_frame(RelayFrame(RelayStep.REPLY, batch["id"], 0, bytes(32) * 3))
        with w.client("brand") as http:
            path = f"/v1/collaborations/{w.id}/blinding/batches/{batch['id']}/points"
            reply = http.put(path, params={"offset": 0, "key_check": "0" * 16}, content=frame)
            assert reply.status_code == 422, reply.text
            assert reply.json()["detail"] == "point 0 is the identity"
            wrong_step = encode_frame(RelayFrame(RelayStep.RELAY, batch["id"], 0, b""))
            reply = http.put(path, params={"offset": 0, "key_check": "0" * 16}, content=wrong_step)
            assert reply.status_code == 422 and "step 3, expected step 4" in reply.text
            late = http.put(path, params={"offset": 5, "key_check": "0" * 16}, content=frame)
            assert late.status_code == 409, late.text
        assert client.blinding_batches(w.id)["batches"][0]["received"] == 0
    with w.client("retailer") as other:
        stolen = other.get(
            f"/v1/collaborations/{w.id}/blinding/batches/{batch['id']}/points", params={"offset": 0}
        )
        assert stolen.status_code == 404


def test_a_family_without_values_is_complete_at_once(app: FastAPI) -> None:
    """A token column that is null on every row has nothing to blind: its batch is
    complete when it is opened, and the version still becomes joinable."""
    scalars = new_scalars()
    w = make_v2_world(in_process(app), app.state.admin_token, scalars, name="nulls")
    brand = Blinder({**scalars["brand"], "phone": BlindingScalar.generate()}, w.id)
    base = blinded(exposures(w.id), brand, list(range(150)))
    phones = pa.nulls(base.num_rows, pa.binary(32))
    fields = [brand.token_field("phone"), *base.schema]
    table = pa.Table.from_arrays(
        [phones, *base.columns], schema=bind_schema(pa.schema(fields), brand)
    )
    with w.client("brand") as member:
        reply = upload(member, w.id, parquet_bytes(table), "exp", "exposures")
        assert reply.status_code in (200, 201) and reply.json()["version"] == 2, reply.text
    assert blind_for(w, "retailer", scalars).families == {"email": 150}
    folder = app.state.settings.data_dir / "datasets" / w.id / "exp"
    joined = pq.read_table(folder / "v2.blinded.parquet")
    assert token_version(joined.schema.field("token_phone")) == DOUBLY_BLINDED_VERSION
    assert joined.column("token_phone").null_count == joined.num_rows
