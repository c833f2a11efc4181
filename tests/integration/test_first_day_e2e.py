"""A Japanese brand's and retailer's first day, end to end on a real server (issue 15).

Both parties tokenize their own files with ``party-agent tokenize`` (Shift-JIS, Japanese
column names, JST times without an offset, yen, mixed-country phones, full-width and
googlemail addresses, a pandas spend file), upload them to a real ``cleanroom serve`` on
loopback and run conversions there. The released numbers are noisy, so the exact
numbers are computed by the same release path in exact mode over the files the server
published, and compared with a pandas computation from the people themselves.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import httpx
import pyarrow.parquet as pq
import pytest

from cleanroom.engine import GroupKeys
from cleanroom.release import ConversionsRequest, ReleasePolicy, Sources, release
from cleanroom.release._testing import exact_mode
from party_agent.home import PartyHome
from tests.integration import first_day_world as world
from tests.integration.agents import agent
from tests.integration.query_world import KEY, approve_current, register_key
from tests.integration.server import ServerProcess
from tests.integration.uploading import upload
from tests.integration.world import Collab, api, make_collaboration

ROLES = {"brand": "party_admin", "retailer": "party_admin", "ana": "analyst", "aud": "auditor"}


def tokenize(root: Path, collab: Collab, source: Path, *extra: str) -> dict[str, Any]:
    home = root / "home"
    if not home.exists():
        PartyHome.create(home, root.name)
        (root / "match.key").write_text(KEY.to_hex())
    out = source.with_suffix(".tokens.parquet")
    code, stdout, stderr = agent(
        "tokenize", "--home", str(home), "--in", str(source), "--out", str(out),
        "--match-key-file", str(root / "match.key"), "--collaboration", collab.id,
        "--json", *extra,
    )  # fmt: skip
    assert (code, stderr) == (0, ""), stderr
    summary: dict[str, Any] = json.loads(stdout)
    summary["out"] = out
    return summary


@pytest.fixture(scope="module")
def first_day(
    server: ServerProcess, admin: httpx.Client, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Collab, dict[str, dict[str, Any]]]:
    collab = make_collaboration(admin, "first day", ROLES, policy_yaml=world.POLICY)

    def connect(token: str) -> httpx.Client:
        return api(server.url, token)

    approve_current(connect, collab)
    register_key(connect, collab)
    brand, retailer = tmp_path_factory.mktemp("brand"), tmp_path_factory.mktemp("retailer")
    (brand / "mapping.yaml").write_text(world.BRAND_MAPPING, encoding="utf-8")
    (retailer / "mapping.yaml").write_text(world.RETAILER_MAPPING, encoding="utf-8")
    summaries = {
        "exp": tokenize(
            brand, collab, world.write_brand(brand / "接触ログ.csv"),
            "--mapping", str(brand / "mapping.yaml"),
        ),
        "pur": tokenize(
            retailer, collab, world.write_retailer(retailer / "注文.csv"),
            "--mapping", str(retailer / "mapping.yaml"), "--encoding", "cp932",
        ),
        "spend": tokenize(brand, collab, world.write_spend(brand / "spend.parquet"),
                          "--kind", "spend"),
    }  # fmt: skip
    owners = {"exp": ("brand", "exposures"), "pur": ("retailer", "purchases")}
    owners["spend"] = ("brand", "spend")
    for dataset, (owner, kind) in owners.items():
        with connect(collab.members[owner].token) as member:
            data = Path(summaries[dataset]["out"]).read_bytes()
            reply = upload(member, collab.id, data, dataset, kind)
            assert reply.status_code in (200, 201), reply.text
            assert reply.json()["published"] is True
    return collab, summaries


def test_the_summaries_count_what_the_files_hold(
    first_day: tuple[Collab, dict[str, dict[str, Any]]],
) -> None:
    _, summaries = first_day
    exposed = [p for p in world.people() if p.exposed]
    purchases = [(p, a) for p in world.people() for _, a in p.purchases()]
    assert summaries["exp"]["rows_written"] == len(exposed)
    assert summaries["exp"]["invalid_identifiers"]["電話"] == {
        "empty": sum(1 for p in exposed if not p.brand_phone)
    }
    nulls = sum(1 for _, a in purchases if a == "NULL")
    assert summaries["pur"]["rows_read"] == len(purchases)
    assert summaries["pur"]["rows_dropped_null"] == {"金額": nulls}
    assert summaries["pur"]["rows_written"] == len(purchases) - nulls
    assert summaries["pur"]["invalid_identifiers"]["電話番号"] == {}
    assert summaries["spend"]["rows_written"] == 3
    assert all(not s["warnings"] for s in summaries.values())
    spend = pq.read_table(summaries["spend"]["out"])
    assert spend.column("spend").to_pylist() == [float(v) for v in world.SPEND_YEN.values()]


def _exact(
    exposures: Path, purchases: Path, spend: Path, join: str, by: str | None
) -> dict[tuple[str, ...], dict[str, Any]]:
    keys = GroupKeys(world.CAMPAIGNS, ("ctv", "search") if by else None)
    policy = ReleasePolicy(Fraction(1, 2), 2, 3, 5, Fraction(100_000), keys=keys)
    request = ConversionsRequest(join, world.WINDOW, by=by)
    with exact_mode():
        result = release(Sources((exposures,), (purchases,), (spend,)), request, policy)
    return {tuple(row["key"]): row["values"] for row in result.to_dict()["rows"]}


def _published(server: ServerProcess, collab: Collab, dataset: str) -> Path:
    return server.data_dir / "datasets" / collab.id / dataset / "v1.parquet"


@pytest.mark.parametrize(("join", "by"), [("email", None), ("phone", None), ("email", "channel")])
def test_conversions_equal_the_truth_about_the_people(
    server: ServerProcess,
    first_day: tuple[Collab, dict[str, dict[str, Any]]],
    join: str,
    by: str | None,
) -> None:
    collab, _ = first_day
    body = {"template": "conversions", "exposures": "exp", "purchases": "pur", "window": "7d"}
    body |= {"join": join, "spend": "spend", "epsilon": "1/2"} | ({"by": by} if by else {})
    with api(server.url, collab.members["brand"].token) as brand:
        reply = brand.post(f"/v1/collaborations/{collab.id}/queries", json=body)
    assert reply.status_code == 201, reply.text
    released = reply.json()["result"]
    files = [_published(server, collab, name) for name in ("exp", "pur", "spend")]
    exact = _exact(*files, join, by)
    assert sorted(tuple(row["key"]) for row in released["rows"]) == sorted(exact)
    truth = world.truth(join, by_channel=by is not None)
    assert set(truth) == set(exact)
    for key, (exposed, converted, revenue) in truth.items():
        values = exact[key]
        counts = (values["exposed_users"][0], values["converted_users"][0])
        assert counts == (exposed, converted), key
        assert values["revenue"][0] == pytest.approx(revenue), key
    if by is None:
        for campaign, spend in world.SPEND_YEN.items():
            assert exact[(campaign,)]["roas"][0] == pytest.approx(truth[(campaign,)][2] / spend)


def test_read_as_utc_the_same_files_would_give_other_numbers(
    first_day: tuple[Collab, dict[str, dict[str, Any]]], tmp_path: Path
) -> None:
    """The declared zone matters in this world: misread as UTC, a purchase at the
    window's far edge leaves it and one just before the exposure enters it."""
    collab, summaries = first_day
    mapping = tmp_path / "utc.yaml"
    mapping.write_text(world.RETAILER_MAPPING.replace("Asia/Tokyo", "UTC"), encoding="utf-8")
    source = world.write_retailer(tmp_path / "注文.csv")
    misread = tokenize(tmp_path, collab, source, "--mapping", str(mapping), "--encoding", "cp932")
    exposures, spend = Path(summaries["exp"]["out"]), Path(summaries["spend"]["out"])
    exact = _exact(exposures, Path(misread["out"]), spend, "email", None)
    truth = world.truth("email")
    found = {
        key: (v["exposed_users"][0], v["converted_users"][0], v["revenue"][0])
        for key, v in exact.items()
    }
    assert found != truth
    assert [found[key][0] for key in truth] == [truth[key][0] for key in truth]
