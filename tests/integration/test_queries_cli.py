"""``party-agent query|result|export|budget`` and the Python API against a real server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pandas as pd
import pytest

from party_agent import results
from party_agent.client import CleanRoomClient
from party_agent.credentials import Credential
from party_agent.home import PartyHome
from tests.integration.agents import agent, words
from tests.integration.query_world import QueryWorld, make_world
from tests.integration.server import ServerProcess
from tests.integration.world import api


@pytest.fixture(scope="module")
def homes(
    server: ServerProcess, admin: httpx.Client, tmp_path_factory: pytest.TempPathFactory
) -> tuple[QueryWorld, dict[str, Path]]:
    w = make_world(lambda token: api(server.url, token), server.admin_token, "cli", budget="5")
    out = {}
    for party in ("brand", "retailer"):
        home = tmp_path_factory.mktemp(party) / "home"
        created = PartyHome.create(home, party)
        created.store_credential(w.id, Credential(server.url, w.party(party).token))
        out[party] = home
    return w, out


def test_query_json_then_result_and_exports(
    homes: tuple[QueryWorld, dict[str, Path]], tmp_path: Path
) -> None:
    _, home = homes
    args = ["query", "conversions", "--home", str(home["brand"]), "--exposures", "exp"]
    args += ["--purchases", "pur", "--spend", "spend", "--window", "7d", "--json"]
    done = subprocess.run(
        [sys.executable, "-m", "party_agent", *args], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    reply = json.loads(done.stdout)
    assert reply["template"] == "conversions" and reply["reused"] is False
    assert reply["result"]["value_columns"][:2] == ["exposed_users", "converted_users"]
    assert reply["budget"]["spent"]["exact"] == "1/2"
    code, out, err = agent("result", reply["id"], "--home", str(home["retailer"]))
    assert code == 0, err
    assert reply["id"] in out and "95% interval" in words(out) and "cmp-0" in out
    for suffix in (".csv", ".parquet"):
        target = tmp_path / f"conv{suffix}"
        code, out, err = agent(
            "export", reply["id"], "--home", str(home["brand"]), "--out", str(target)
        )
        assert code == 0, err
        frame = pd.read_csv(target) if suffix == ".csv" else pd.read_parquet(target)
        assert list(frame["campaign"]) == [row["key"][0] for row in reply["result"]["rows"]]
        assert {"revenue", "revenue_low", "revenue_high", "roas", "suppressed"} <= set(
            frame.columns
        )
    target = tmp_path / "again.csv"
    code, out, err = agent(
        "export", reply["id"], "--home", str(home["brand"]), "--out", str(target), "--json"
    )
    assert code == 0, err
    rows = len(reply["result"]["rows"])
    assert json.loads(out) == {"result_id": reply["id"], "rows": rows, "path": str(target)}
    code, out, err = agent("budget", "--home", str(home["brand"]))
    assert code == 0 and "spent 0.5 of 5, 4.5 left" in out, err
    assert "noise: discrete Laplace (pure DP); the epsilon spent holds with delta 0" in out
    code, out, err = agent("result", reply["id"], "--home", str(home["brand"]), "--wide")
    assert code == 0 and max(len(line) for line in out.splitlines()) > 100, err
    code, out, err = agent("result", reply["id"], "--home", str(home["brand"]), "--currency", "EUR")
    assert code == 0 and "€" in out and max(len(line) for line in out.splitlines()) <= 100, err


def test_denied_query_is_one_error_line(homes: tuple[QueryWorld, dict[str, Path]]) -> None:
    _, home = homes
    code, _, err = agent(
        "query", "conversions", "--home", str(home["brand"]), "--exposures", "exp",
        "--purchases", "pur", "--window", "90d",
    )  # fmt: skip
    assert code == 1
    assert err.startswith("error: window (submitted value) exceeds the maximum of 30d set by")
    assert err.count("\n") == 1


def test_python_api_returns_a_dataframe(
    homes: tuple[QueryWorld, dict[str, Path]], server: ServerProcess
) -> None:
    w, home = homes
    frame = results.query_frame(home["brand"], "overlap", exposures="exp", purchases="pur")
    assert list(frame.columns) == [
        "population", "users", "users_low", "users_high", "suppressed", "remainder"
    ]  # fmt: skip
    assert list(frame["population"]) == ["matched", "exposures", "purchases"]
    with CleanRoomClient(server.url, w.party("brand").token) as client:
        again = results.query(client, w.id, "overlap", exposures="exp", purchases="pur")
        listed = results.list_results(client, w.id)
    assert again["reused"] is True
    assert again["id"] in {item["id"] for item in listed}
    assert results.to_dataframe(again).equals(frame)
