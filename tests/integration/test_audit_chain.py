"""The audit log on a working server: every action sealed, exports verify, tampering shows.

Uses the in-process app with a real SQLite file (and PostgreSQL for the concurrency test
when a server answers on 127.0.0.1:5432).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from typer.testing import CliRunner

from cleanroom import audit
from cleanroom.audit import verify_lines
from cleanroom.cli.main import app as cleanroom_cli
from cleanroom.storage.models import AuditEntry, AuditHead, Collaboration
from cleanroom.storage.signing_key import public_key_path
from tests.integration.query_world import KEY, QueryWorld, conversions, in_process, make_world
from tests.integration.test_queries_inprocess import query

runner = CliRunner()


def _world_with_queries(app: FastAPI) -> QueryWorld:
    w = make_world(in_process(app), app.state.admin_token)
    ok = query(w, "brand", conversions("7d", epsilon="1/4"))
    assert ok.status_code == 201, ok.text
    denied = query(w, "brand", conversions("90d"))
    assert denied.status_code >= 400
    return w


def _export(app: FastAPI, w: QueryWorld) -> list[str]:
    with w.client("aud") as client:
        reply = client.get(f"/v1/collaborations/{w.id}/audit")
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("application/x-ndjson")
    return reply.text.splitlines()


def test_auditor_export_verifies_and_holds_every_kind_of_action(app: FastAPI) -> None:
    w = _world_with_queries(app)
    lines = _export(app, w)
    report = verify_lines(lines, app.state.signing_key.public_key())
    assert report.ok, report.summary()
    entries = [json.loads(line) for line in lines[:-1]]
    actions = {e["action"] for e in entries}
    assert {"query.granted", "query.denied", "audit.exported"} <= actions
    assert any(a.startswith("dataset.") for a in actions)
    assert any(a.startswith("policy.") for a in actions)
    granted = next(e for e in entries if e["action"] == "query.granted")
    assert granted["epsilon_charged"] == "1/4" and granted["result_digest"]
    assert granted["budget_left"] is not None and granted["policy_hash"]
    denied = next(e for e in entries if e["action"] == "query.denied")
    assert denied["outcome"] == "denied" and denied["details"]["reasons"]
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    assert {e["collaboration"] for e in entries} == {w.id}


def test_no_token_raw_value_or_key_material_in_any_entry(app: FastAPI) -> None:
    w = _world_with_queries(app)
    text = "\n".join(_export(app, w))
    from tests.integration.query_world import tokens

    for token in tokens(w.id, list(range(240))).to_pylist():
        assert token.hex() not in text
    assert "user1@example.com" not in text and "example.com" not in text
    assert KEY.to_hex() not in text and "PRIVATE KEY" not in text
    for party in w.collab.members.values():
        assert party.token not in text


def test_only_auditors_and_admins_read_the_log(app: FastAPI) -> None:
    w = make_world(in_process(app), app.state.admin_token)
    for who in ("ana", "brand"):
        with w.client(who) as client:
            reply = client.get(f"/v1/collaborations/{w.id}/audit")
        assert reply.status_code == 403
        assert reply.headers["content-type"] == "application/problem+json"


def test_a_failed_transaction_leaves_no_entry_and_no_gap(app: FastAPI) -> None:
    w = make_world(in_process(app), app.state.admin_token)
    maker = app.state.sessionmaker
    with maker() as session:
        before = session.scalar(select(func.count()).select_from(AuditEntry))
        audit.record(session, actor="t", action="test.action", collaboration_id=w.id)
        session.add(Collaboration(id=w.id, name="duplicate primary key"))
        with pytest.raises(Exception, match=r"UNIQUE|unique|duplicate|IntegrityError"):
            session.commit()
        session.rollback()
    with maker() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == before
    assert verify_lines(_export(app, w), app.state.signing_key.public_key()).ok


def test_concurrent_appends_never_fork_the_chain(app: FastAPI) -> None:
    w = make_world(in_process(app), app.state.admin_token)
    maker = app.state.sessionmaker

    def append(n: int) -> None:
        for i in range(n):
            with maker() as session:
                audit.record(session, actor=f"t{i}", action="test.append", collaboration_id=w.id)
                session.commit()

    threads = [threading.Thread(target=append, args=(15,)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with maker() as session:
        head = session.get(AuditHead, w.id)
        count = session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.chain == w.id)
        )
    assert head is not None and head.last_seq == count
    assert verify_lines(_export(app, w), app.state.signing_key.public_key()).ok


def test_cli_export_verify_and_report_from_the_data_dir(app: FastAPI, tmp_path: Path) -> None:
    w = _world_with_queries(app)
    data_dir = app.state.settings.data_dir
    out, page = tmp_path / "audit.jsonl", tmp_path / "report.html"
    args = ["audit", "export", "--data-dir", str(data_dir), "--collaboration", w.id]
    result = runner.invoke(cleanroom_cli, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    public = public_key_path(app.state.settings.signing_key_path)
    result = runner.invoke(
        cleanroom_cli, ["audit", "verify", str(out), "--public-key", str(public)]
    )
    assert result.exit_code == 0 and result.output.startswith("OK: "), result.output
    args = ["audit", "report", "--data-dir", str(data_dir), "--collaboration", w.id]
    result = runner.invoke(cleanroom_cli, [*args, "--out", str(page)])
    assert result.exit_code == 0, result.output
    html = page.read_text(encoding="utf-8")
    assert "conversions" in html and "budget-chart" in html and "OK: " in html
    edited = out.read_text(encoding="utf-8").replace('"1/4"', '"1/100"', 1)
    out.write_text(edited, encoding="utf-8")
    result = runner.invoke(
        cleanroom_cli, ["audit", "verify", str(out), "--public-key", str(public)]
    )
    assert result.exit_code == 1 and "entry edited" in result.output


def test_cli_export_refuses_a_directory_that_is_not_a_data_dir(tmp_path: Path) -> None:
    args = ["audit", "export", "--data-dir", str(tmp_path), "--collaboration", "c"]
    result = runner.invoke(cleanroom_cli, [*args, "--out", str(tmp_path / "x.jsonl")])
    assert result.exit_code == 2
    assert (
        result.output.strip() == f"error: {tmp_path} is not a clean-room data dir (no cleanroom.db)"
    )
    assert not (tmp_path / "keys").exists()


AUDITOR_MAY = {
    ("GET", "/v1/collaborations/{c}"),
    ("GET", "/v1/collaborations/{c}/members"),
    ("GET", "/v1/collaborations/{c}/policies"),
    ("GET", "/v1/collaborations/{c}/policies/current"),
    ("GET", "/v1/collaborations/{c}/policies/latest"),
    ("GET", "/v1/collaborations/{c}/policies/{p}"),
    ("GET", "/v1/collaborations/{c}/rules"),
    ("GET", "/v1/collaborations/{c}/budget"),
    ("GET", "/v1/collaborations/{c}/audit"),
}


def test_auditors_read_policies_approvals_budget_and_log_and_nothing_else(app: FastAPI) -> None:
    from tests.integration.test_server_access import ROUTES, fill

    w = make_world(in_process(app), app.state.admin_token)
    with w.client("brand") as client:
        policy = client.get(f"/v1/collaborations/{w.id}/policies").json()[0]["policy_hash"]
    with w.client("aud") as client:
        for method, path, body in ROUTES:
            reply = client.request(method, fill(path, w.collab, policy), json=body)
            if (method, path) in AUDITOR_MAY:
                assert reply.status_code == 200, (method, path, reply.text)
            else:
                # refused by role (403), by a body it could not have made valid (422), or
                # nothing there for it: no match key is ever wrapped to an auditor, and
                # this world's policy pins no keys, so it has no key roster to read
                nothing = path.endswith(("/mine", "/roster"))
                refused = {403, 422} | ({404} if nothing else set())
                assert reply.status_code in refused, (method, path, reply.status_code)
