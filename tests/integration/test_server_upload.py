"""Dataset upload: chunks, resume, checksums, limits, validation, tripwire, versions."""

from __future__ import annotations

import base64
import hashlib
import io
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cleanroom.storage.dataset_files import is_prepared
from protocols import MatchKey, token_field
from tests.integration.datasets import exposures_table, parquet_bytes, sha256, wait_prepared
from tests.integration.server import ServerProcess
from tests.integration.uploading import CHUNK, put, send_all, start, upload
from tests.integration.world import Collab, api, make_collaboration
from tests.parquet_footers import hide_pages, token_file


@pytest.fixture(scope="module")
def brand(server: ServerProcess, collab_a: Collab) -> Iterator[httpx.Client]:
    with api(server.url, collab_a.members["brand"].token) as client:
        yield client


def problem_type(reply: httpx.Response) -> str:
    assert reply.headers["content-type"] == "application/problem+json", reply.text
    kind: str = reply.json()["type"]
    return kind.removeprefix("urn:cleanroom:problem:")


def visible_datasets(client: httpx.Client, collab: Collab) -> list[str]:
    return [d["name"] for d in client.get(f"/v1/collaborations/{collab.id}/datasets").json()]


def published_files(server: ServerProcess) -> list[Path]:
    """Every version file (prepared siblings appear in the background, so are left out)."""
    files = (server.data_dir / "datasets").rglob("*")
    return sorted(p for p in files if p.is_file() and not is_prepared(p))


def test_upload_publishes_a_version_and_replacing_adds_one(
    brand: httpx.Client, collab_a: Collab, server: ServerProcess
) -> None:
    first = parquet_bytes(exposures_table(collab_a.id, rows=3000))
    assert len(first) > CHUNK  # several chunks
    reply = upload(brand, collab_a.id, first, "exposures-v", "exposures")
    assert reply.status_code == 200, reply.text
    assert (reply.json()["version"], reply.json()["rows"]) == (1, 3000)
    second = parquet_bytes(exposures_table(collab_a.id, rows=10))
    assert upload(brand, collab_a.id, second, "exposures-v", "exposures").json()["version"] == 2
    listed = brand.get(f"/v1/collaborations/{collab_a.id}/datasets/exposures-v").json()
    assert listed["versions"] == [1, 2]
    assert listed["latest"]["sha256"] == sha256(second)
    history = brand.get(f"/v1/collaborations/{collab_a.id}/datasets/exposures-v/versions")
    assert [(v["version"], v["rows"], v["sha256"]) for v in history.json()] == [
        (1, 3000, sha256(first)),
        (2, 10, sha256(second)),
    ]
    with api(server.url, collab_a.members["audit"].token) as auditor:
        refused = auditor.get(f"/v1/collaborations/{collab_a.id}/datasets/exposures-v/versions")
    assert refused.status_code == 403, refused.text
    missing = brand.get(f"/v1/collaborations/{collab_a.id}/datasets/nope/versions")
    assert missing.status_code == 404 and missing.json()["type"].endswith("not-found")
    on_disk = server.data_dir / "datasets" / collab_a.id / "exposures-v"
    for name, data in (("v1.parquet", first), ("v2.parquet", second)):
        # The published file is the uploaded bytes; its prepared sibling, written in the
        # background for queries (user columns, sorted), holds the same rows.
        assert (on_disk / name).read_bytes() == data
        uploaded = pq.read_table(pa.BufferReader(data))
        kept = pq.read_table(wait_prepared(on_disk / name)).select(uploaded.schema.names)
        assert kept.schema.equals(uploaded.schema, check_metadata=True)
        assert sorted(kept.to_pylist(), key=repr) == sorted(uploaded.to_pylist(), key=repr)


def test_interrupted_upload_resumes_from_the_server_offset(
    brand: httpx.Client, collab_a: Collab
) -> None:
    data = parquet_bytes(exposures_table(collab_a.id, rows=2000))
    session = start(brand, collab_a.id, data, "resumed", "exposures")
    assert put(brand, collab_a.id, session["id"], 0, data[:CHUNK]).status_code == 200
    # the connection drops mid-chunk: the server keeps only whole, verified chunks
    partial = data[CHUNK : CHUNK + 1000]
    dropped = brand.put(
        f"/v1/collaborations/{collab_a.id}/uploads/{session['id']}",
        params={"offset": CHUNK},
        content=partial,
        headers={"X-Chunk-SHA256": hashlib.sha256(data[CHUNK : 2 * CHUNK]).hexdigest()},
    )
    assert problem_type(dropped) == "chunk-checksum-mismatch"
    state = brand.get(f"/v1/collaborations/{collab_a.id}/uploads/{session['id']}").json()
    assert state["received"] == CHUNK
    send_all(brand, collab_a.id, session["id"], data, offset=state["received"])
    done = brand.post(f"/v1/collaborations/{collab_a.id}/uploads/{session['id']}/complete")
    assert done.status_code == 200 and done.json()["sha256"] == sha256(data)


def test_wrong_offset_is_refused_with_the_resume_point(
    brand: httpx.Client, collab_a: Collab
) -> None:
    data = parquet_bytes(exposures_table(collab_a.id, rows=10))
    session = start(brand, collab_a.id, data, "offsets", "exposures")
    reply = put(brand, collab_a.id, session["id"], 5, data[5:])
    assert reply.status_code == 409
    assert (problem_type(reply), reply.json()["received"]) == ("upload-offset-mismatch", 0)


def test_oversize_file_is_413(brand: httpx.Client, collab_a: Collab) -> None:
    body = {"dataset": "big", "kind": "exposures", "size": 3 * 1024 * 1024, "sha256": "0" * 64}
    reply = brand.post(f"/v1/collaborations/{collab_a.id}/uploads", json=body)
    assert reply.status_code == 413 and problem_type(reply) == "payload-too-large"


def test_chunk_longer_than_declared_is_413(brand: httpx.Client, collab_a: Collab) -> None:
    data = parquet_bytes(exposures_table(collab_a.id, rows=10))
    session = start(brand, collab_a.id, data, "longer", "exposures")
    reply = put(brand, collab_a.id, session["id"], 0, data + b"extra")
    assert reply.status_code == 413
    state = brand.get(f"/v1/collaborations/{collab_a.id}/uploads/{session['id']}").json()
    assert state["received"] == 0


def test_whole_file_checksum_mismatch_is_refused(brand: httpx.Client, collab_a: Collab) -> None:
    data = parquet_bytes(exposures_table(collab_a.id, rows=10))
    body = {"dataset": "badsum", "kind": "exposures", "size": len(data), "sha256": "1" * 64}
    session = brand.post(f"/v1/collaborations/{collab_a.id}/uploads", json=body).json()
    send_all(brand, collab_a.id, session["id"], data)
    reply = brand.post(f"/v1/collaborations/{collab_a.id}/uploads/{session['id']}/complete")
    assert problem_type(reply) == "checksum-mismatch"
    assert "badsum" not in visible_datasets(brand, collab_a)


def bad_table(case: str, collab: str) -> pa.Table | bytes:
    rows = 20
    base = exposures_table(collab, rows=rows)
    text = {
        "email": [f"person{i}@mail.example.org" for i in range(rows)],
        "phone": [f"+1 415 555 {1000 + i}" for i in range(rows)],
        "phone_national": [f"(415) 555-{1000 + i}" for i in range(rows)],
        "sha256": [hashlib.sha256(str(i).encode()).hexdigest() for i in range(rows)],
        "one_email": ["ok"] * (rows - 1) + ["someone@example.com"],
    }
    if case in text:
        return base.append_column("channel", pa.array(text[case]))
    if case == "campaign_sha256":
        values = [hashlib.sha256(b"x").hexdigest().upper()] * rows
        return base.set_column(1, "campaign_id", pa.array(values))
    if case == "undeclared":
        return base.append_column("email", pa.array(["x"] * rows))
    if case == "forged_users":  # a user number per row would split one person's rows
        return base.append_column("_user_email", pa.array(range(rows), pa.int64()))
    if case == "forged_flags":  # first-row flags on every row would inflate exposed counts
        return base.append_column("_first_email", pa.array([True] * rows))
    if case == "wrong_type":
        return base.set_column(2, "exposure_time", pa.array([1.5] * rows))
    if case == "missing_required":
        return base.drop_columns(["campaign_id"])
    if case == "no_tokens":
        return base.drop_columns(["token_email"])
    if case == "untagged_token":
        plain = pa.field("token_email", pa.binary(32))
        return base.set_column(0, plain, base.column(0))
    if case == "other_collaboration":
        return exposures_table("col_0000000000000000", rows=rows)
    if case == "other_key":
        return exposures_table(collab, rows=rows, key=MatchKey(bytes([9]) * 32))
    if case == "unbound":
        return base.replace_schema_metadata(None)
    if case == "unsalted_sha256":
        digests = [hashlib.sha256(f"user{i}@example.com".encode()).digest() for i in range(rows)]
        return base.set_column(0, base.schema.field(0), pa.array(digests, pa.binary(32)))
    if case == "empty":
        return base.slice(0, 0)
    if case == "malformed":
        return b"PAR1 this is not parquet PAR1"
    if case == "truncated":
        return parquet_bytes(base)[:-40]
    raise AssertionError(case)


REJECTIONS = [
    ("email", "pii-detected", "email addresses"),
    ("phone", "pii-detected", "phone numbers"),
    ("phone_national", "pii-detected", "phone numbers"),
    ("sha256", "pii-detected", "hex digests"),
    ("one_email", "pii-detected", "1 distinct value(s) look like email"),
    ("campaign_sha256", "pii-detected", "hex digests"),
    ("undeclared", "schema-mismatch", "the unexpected column at position 4 is not declared"),
    # the columns the server's background preparation adds cannot come from a party: the
    # engine trusts them to be its own user number and flags (contribution bounds)
    ("forged_users", "schema-mismatch", "the unexpected column at position 4 is not declared"),
    ("forged_flags", "schema-mismatch", "the unexpected column at position 4 is not declared"),
    ("wrong_type", "schema-mismatch", "column 'exposure_time' must be int64"),
    ("missing_required", "schema-mismatch", "need column(s) campaign_id"),
    ("no_tokens", "schema-mismatch", "at least one token_<family> column"),
    ("untagged_token", "schema-mismatch", "fixed_size_binary(32) tagged with token version"),
    ("other_collaboration", "token-file-mismatch", "made for another collaboration"),
    ("other_key", "token-file-mismatch", "column 'token_email' was made with another match key"),
    ("unbound", "token-file-mismatch", "does not name its collaboration"),
    ("unsalted_sha256", "unsalted-digest", "column 'token_email': 20 value(s) are the SHA-256"),
    ("empty", "empty-dataset", "no rows"),
    ("malformed", "malformed-parquet", "not a readable Parquet file"),
    ("truncated", "malformed-parquet", "not a readable Parquet file"),
]


@pytest.mark.parametrize(("case", "slug", "phrase"), REJECTIONS, ids=[r[0] for r in REJECTIONS])
def test_rejected_upload_leaves_nothing_visible(
    brand: httpx.Client, collab_a: Collab, server: ServerProcess, case: str, slug: str, phrase: str
) -> None:
    made = bad_table(case, collab_a.id)
    data = made if isinstance(made, bytes) else parquet_bytes(made)
    before = published_files(server)
    name = f"bad-{case.replace('_', '-')}"
    session = start(brand, collab_a.id, data, name, "exposures")
    send_all(brand, collab_a.id, session["id"], data)
    reply = brand.post(f"/v1/collaborations/{collab_a.id}/uploads/{session['id']}/complete")
    assert reply.status_code == 422, reply.text
    assert problem_type(reply) == slug
    assert phrase in reply.json()["detail"]
    assert "@" not in reply.json()["detail"] and "555" not in reply.json()["detail"]
    assert name not in visible_datasets(brand, collab_a)
    assert published_files(server) == before
    assert not (server.data_dir / "tmp" / f"{session['id']}.part").exists()
    state = brand.get(f"/v1/collaborations/{collab_a.id}/uploads/{session['id']}").json()
    assert state["status"] == "failed" and state["failure"] == reply.json()["detail"]


def test_spend_datasets_carry_no_tokens(brand: httpx.Client, collab_a: Collab) -> None:
    table = exposures_table(collab_a.id, rows=5)
    spend = pa.table({"campaign_id": ["a", "b"], "spend": [10.0, 20.5]})
    assert upload(brand, collab_a.id, parquet_bytes(spend), "spend", "spend").status_code == 200
    tokens = spend.append_column(token_field("email"), table.column(0).slice(0, 2))
    reply = upload(brand, collab_a.id, parquet_bytes(tokens), "spend2", "spend")
    assert problem_type(reply) == "schema-mismatch"


def test_other_party_cannot_replace_or_see_my_upload(
    server: ServerProcess, brand: httpx.Client, collab_a: Collab
) -> None:
    data = parquet_bytes(exposures_table(collab_a.id, rows=5))
    session = start(brand, collab_a.id, data, "owned", "exposures")
    with api(server.url, collab_a.members["retailer"].token) as retailer:
        seen = retailer.get(f"/v1/collaborations/{collab_a.id}/uploads/{session['id']}")
        assert seen.status_code == 404
        send_all(brand, collab_a.id, session["id"], data)
        brand.post(f"/v1/collaborations/{collab_a.id}/uploads/{session['id']}/complete")
        body = {"dataset": "owned", "kind": "exposures", "size": 10, "sha256": "0" * 64}
        reply = retailer.post(f"/v1/collaborations/{collab_a.id}/uploads", json=body)
    assert reply.status_code == 409 and "belongs to another party" in reply.json()["detail"]


def test_publishes_and_rejections_are_audited_without_values(
    brand: httpx.Client, collab_a: Collab, server: ServerProcess
) -> None:
    import json
    import sqlite3

    good = parquet_bytes(exposures_table(collab_a.id, rows=7))
    upload(brand, collab_a.id, good, "audited", "exposures")
    made = bad_table("email", collab_a.id)
    assert isinstance(made, pa.Table)
    upload(brand, collab_a.id, parquet_bytes(made), "audited-bad", "exposures")
    uri = f"file:{server.data_dir / 'cleanroom.db'}?mode=ro"
    with sqlite3.connect(uri, uri=True) as db:
        rows = db.execute(
            "SELECT action, actor, details FROM audit_entries WHERE collaboration_id = ?",
            (collab_a.id,),
        ).fetchall()
    entries = [(action, actor, json.loads(details)) for action, actor, details in rows]
    published = [d for a, _, d in entries if a == "dataset.publish" and d["dataset"] == "audited"]
    assert published == [
        {
            "dataset": "audited",
            "kind": "exposures",
            "version": 1,
            "rows": 7,
            "sha256": sha256(good),
            "upload_id": published[0]["upload_id"],
        }
    ]
    rejected = [d for a, _, d in entries if a == "dataset.reject" and d["dataset"] == "audited-bad"]
    assert [d["reason"] for d in rejected] == ["PiiDetected"]
    assert all("@" not in json.dumps(d) for _, _, d in entries)
    brand_member = collab_a.members["brand"]
    actors = {actor for action, actor, _ in entries if action.startswith("dataset.")}
    assert len(actors) == 1
    assert actors.pop().startswith(
        f"brand:{brand_member.member_id} (token {brand_member.token_id}, issued by admin:tok_"
    )


def test_open_uploads_per_member_are_limited(server: ServerProcess, admin: httpx.Client) -> None:
    collab = make_collaboration(admin, "limits", {"p": "party_admin"})
    body = {"dataset": "many", "kind": "exposures", "size": 100, "sha256": "0" * 64}
    with api(server.url, collab.members["p"].token) as client:
        base = f"/v1/collaborations/{collab.id}/uploads"
        opened = [client.post(base, json=body).json()["id"] for _ in range(4)]
        refused = client.post(base, json=body)
        assert refused.status_code == 409 and "4 open uploads" in refused.json()["detail"]
        assert client.delete(f"{base}/{opened[0]}").status_code == 204
        assert client.post(base, json=body).status_code == 201


def test_concurrent_chunks_of_one_upload_are_serialized(
    brand: httpx.Client, collab_a: Collab, server: ServerProcess
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    data = parquet_bytes(exposures_table(collab_a.id, rows=500))
    session = start(brand, collab_a.id, data, "racing", "exposures")
    chunk = data[:CHUNK]

    def send(_: int) -> int:
        with api(server.url, collab_a.members["brand"].token) as client:
            return put(client, collab_a.id, session["id"], 0, chunk).status_code

    with ThreadPoolExecutor(4) as pool:
        codes = sorted(pool.map(send, range(4)))
    assert codes.count(200) == 1 and set(codes) <= {200, 409}
    state = brand.get(f"/v1/collaborations/{collab_a.id}/uploads/{session['id']}").json()
    assert state["received"] == len(chunk)


def _footer_first(collab: Collab, name: str, data: bytes, footer: bytes) -> dict:  # type: ignore[type-arg]
    return {
        "dataset": name,
        "kind": "exposures",
        "size": len(data),
        "footer": base64.b64encode(footer).decode(),
    }


def _grouped(collab: Collab, rows: int) -> bytes:
    sink = io.BytesIO()
    pq.write_table(exposures_table(collab.id, rows=rows), sink, row_group_size=500)
    return sink.getvalue()


def _footer(data: bytes) -> bytes:
    length = int.from_bytes(data[-8:-4], "little")
    return data[-(length + 8) :]


def _put_so_far(
    client: httpx.Client, collab: Collab, upload_id: str, data: bytes, offset: int, so_far: str
) -> httpx.Response:
    return client.put(
        f"/v1/collaborations/{collab.id}/uploads/{upload_id}",
        params={"offset": offset},
        content=data[offset : offset + CHUNK],
        headers={"X-Received-SHA256": so_far},
    )


def test_footer_first_upload_checks_the_digest_so_far_and_is_declared_at_complete(
    server: ServerProcess, brand: httpx.Client, collab_a: Collab
) -> None:
    data = _grouped(collab_a, 3000)
    body = _footer_first(collab_a, "streamed", data, _footer(data))
    session = brand.post(f"/v1/collaborations/{collab_a.id}/uploads", json=body)
    assert session.status_code == 201, session.text
    assert session.json()["sha256"] is None
    upload_id = session.json()["id"]
    wrong = _put_so_far(brand, collab_a, upload_id, data, 0, sha256(data[:CHUNK] + b"x"))
    assert (wrong.status_code, problem_type(wrong)) == (400, "chunk-checksum-mismatch")
    assert "X-Received-SHA256" in wrong.json()["detail"]
    offset = 0
    while offset < len(data):
        end = min(offset + CHUNK, len(data))
        reply = _put_so_far(brand, collab_a, upload_id, data, offset, sha256(data[:end]))
        assert reply.status_code == 200, reply.text
        offset = reply.json()["received"]
    path = f"/v1/collaborations/{collab_a.id}/uploads/{upload_id}/complete"
    undeclared = brand.post(path)
    assert undeclared.status_code == 409, undeclared.text
    assert "declare the file's SHA-256" in undeclared.json()["detail"]
    done = brand.post(path, json={"sha256": sha256(data)})
    assert done.status_code == 200, done.text
    assert (done.json()["rows"], done.json()["sha256"]) == (3000, sha256(data))
    assert not list((server.data_dir / "tmp").glob(f"{upload_id}.*"))  # footer removed too


def test_a_footer_that_is_not_the_files_end_is_refused_and_leaves_nothing(
    server: ServerProcess, brand: httpx.Client, collab_a: Collab
) -> None:
    data = _grouped(collab_a, 1000)
    lying = _footer(data).replace(b"cmp-0", b"cmp-9")
    assert lying != _footer(data)
    body = _footer_first(collab_a, "lying-footer", data, lying)
    session = brand.post(f"/v1/collaborations/{collab_a.id}/uploads", json=body).json()
    send_all(brand, collab_a.id, session["id"], data)
    path = f"/v1/collaborations/{collab_a.id}/uploads/{session['id']}/complete"
    reply = brand.post(path, json={"sha256": sha256(data)})
    assert (reply.status_code, problem_type(reply)) == (422, "malformed-parquet")
    assert "not the end of the file" in reply.json()["detail"]
    assert "lying-footer" not in visible_datasets(brand, collab_a)
    assert not list((server.data_dir / "tmp").glob(f"{session['id']}.*"))


def test_a_footer_that_is_not_base64_is_a_bad_request(
    brand: httpx.Client, collab_a: Collab
) -> None:
    body = {"dataset": "b64", "kind": "exposures", "size": 100, "footer": "not base64!"}
    reply = brand.post(f"/v1/collaborations/{collab_a.id}/uploads", json=body)
    assert (reply.status_code, problem_type(reply)) == (400, "bad-request")


@pytest.mark.parametrize("footer_first", [False, True], ids=["whole-file", "footer-first"])
def test_a_footer_that_moves_a_chunks_start_past_its_pages_is_refused(
    server: ServerProcess, brand: httpx.Client, collab_a: Collab, footer_first: bool
) -> None:
    """The attack on the two readers: a token file whose footer sets the token chunk's
    ``dictionary_page_offset`` past its data pages, at pages hidden before the footer.
    pyarrow, which every upload check reads with, ignores an offset after the data pages
    and reads the clean tokens; DuckDB, which every query reads with, starts there and
    reads the hidden pages: the unsalted SHA-256 of emails here (shown in
    ``tests/unit/cleanroom/uploads/test_chunk_layout.py``; DuckDB 2.0.1 does not refuse
    such a file). Before the layout check the file was published; now the footer is
    refused before any page is scanned, whether sent first or read at complete."""
    rows = 30
    clean = exposures_table(collab_a.id, rows=rows)
    digests = [hashlib.sha256(f"user{i}@example.com".encode()).digest() for i in range(rows)]
    dirty = clean.set_column(0, clean.schema.field(0), pa.array(digests, pa.binary(32)))
    data = hide_pages(token_file(clean), token_file(dirty))
    name = f"moved-dictionary-{int(footer_first)}"
    before = published_files(server)
    if footer_first:
        body = {**_footer_first(collab_a, name, data, _footer(data)), "sha256": sha256(data)}
        session = brand.post(f"/v1/collaborations/{collab_a.id}/uploads", json=body).json()
    else:
        session = start(brand, collab_a.id, data, name, "exposures")
    send_all(brand, collab_a.id, session["id"], data)
    reply = brand.post(f"/v1/collaborations/{collab_a.id}/uploads/{session['id']}/complete")
    assert (reply.status_code, problem_type(reply)) == (422, "malformed-parquet"), reply.text
    detail = reply.json()["detail"]
    assert "row group 1, column 1 has its dictionary page offset after its data pages" in detail
    assert name not in visible_datasets(brand, collab_a)
    assert published_files(server) == before
    assert not list((server.data_dir / "tmp").glob(f"{session['id']}.*"))
    # the same tokens without the moved offset are an ordinary upload
    accepted = upload(brand, collab_a.id, token_file(clean), name, "exposures")
    assert (accepted.status_code, accepted.json()["rows"]) == (200, rows), accepted.text
