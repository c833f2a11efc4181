"""The agent's online commands against a real server: join, keys, policy, upload, resume."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from party_agent.client import CleanRoomClient
from party_agent.commands.upload import state_path
from party_agent.home import PartyHome
from tests.integration.agents import agent
from tests.integration.datasets import exposures_table
from tests.integration.server import ServerProcess
from tests.integration.world import Collab, make_collaboration


@pytest.fixture(scope="module")
def joined(
    server: ServerProcess, admin: httpx.Client, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Collab, dict[str, Path]]:
    collab = make_collaboration(admin, "agents", {"brand": "party_admin", "shop": "party_admin"})
    homes = {}
    for party, member in collab.members.items():
        home = tmp_path_factory.mktemp(party) / "home"
        PartyHome.create(home, party)
        code, out, err = agent(
            "join", "--home", str(home), "--server", server.url, "--token", member.token
        )
        assert code == 0, err
        assert f"joined collaboration {collab.id} as {party} (party_admin)" in out
        homes[party] = home
    return collab, homes


def test_match_key_created_by_one_party_is_fetched_by_the_other(
    joined: tuple[Collab, dict[str, Path]],
) -> None:
    collab, homes = joined
    shop_fp = PartyHome.open(homes["shop"]).x25519_fingerprint
    brand_fp = PartyHome.open(homes["brand"]).ed25519_fingerprint
    accept = ("--accept-fingerprint", shop_fp)
    code, out, err = agent("keys", "create", "--home", str(homes["brand"]), *accept)
    assert code == 0, err
    assert "match key generation 1" in out and "wrapped to shop" in out
    accept = ("--accept-fingerprint", brand_fp)
    code, out, err = agent("keys", "fetch", "--home", str(homes["shop"]), *accept)
    assert code == 0, err
    brand_key = PartyHome.open(homes["brand"]).match_key(collab.id)
    assert PartyHome.open(homes["shop"]).match_key(collab.id) == brand_key
    assert brand_key.fingerprint in out


def test_policy_is_shown_and_takes_effect_after_both_approve(
    joined: tuple[Collab, dict[str, Path]],
) -> None:
    _, homes = joined
    code, out, _ = agent("policy", "show", "--home", str(homes["brand"]))
    assert code == 0 and "not effective yet" in out and "waiting for: brand, shop" in out
    code, out, err = agent("policy", "approve", "--home", str(homes["brand"]), "--yes")
    assert code == 0, err
    assert out.strip().endswith("waiting for shop")
    code, out, _ = agent(
        "policy", "approve", "--home", str(homes["shop"]), "--hash", "latest", "--yes"
    )
    assert out.strip().endswith(": effective")
    code, out, _ = agent("policy", "show", "--home", str(homes["shop"]), "--hash", "current")
    assert "EFFECTIVE" in out


def test_upload_publishes_and_resumes_after_an_interruption(
    joined: tuple[Collab, dict[str, Path]], server: ServerProcess, tmp_path: Path
) -> None:
    collab, homes = joined
    file = tmp_path / "exposures.parquet"
    home = PartyHome.open(homes["brand"])
    pq.write_table(exposures_table(collab.id, rows=4000, key=home.match_key(collab.id)), file)
    token = home.token
    assert token is not None
    with CleanRoomClient(server.url, token) as client:
        data = file.read_bytes()
        from hashlib import sha256

        session = client.start_upload(
            collab.id, "exposures", "exposures", len(data), sha256(data).hexdigest()
        )
        client.put_chunk(collab.id, session["id"], 0, data[:65536])
    state_path(home, collab.id, "exposures").parent.mkdir(exist_ok=True)
    state_path(home, collab.id, "exposures").write_text(
        f'{{"upload_id": "{session["id"]}", "file": "{file.resolve()}"}}'
    )
    code, out, err = agent(
        "upload",
        "--home",
        str(homes["brand"]),
        "--dataset",
        "exposures",
        "--kind",
        "exposures",
        str(file),
    )
    assert code == 0, err
    assert f"resuming upload {session['id']} at byte 65536" in err
    assert "published exposures v1: 4000 rows" in out
    assert not state_path(home, collab.id, "exposures").exists()
    args = ["upload", "--home", str(homes["brand"]), "--dataset", "exposures"]
    code, out, err = agent(*args, "--kind", "exposures", str(file))
    assert code == 0, err
    assert out.startswith("unchanged: exposures v1 already holds these exact bytes (sha256 ")
    code, out, err = agent(*args, "--kind", "exposures", "--json", str(file))
    assert code == 0, err
    assert (json.loads(out)["published"], json.loads(out)["version"]) == (False, 1)


def test_refused_upload_is_one_error_line(
    joined: tuple[Collab, dict[str, Path]], tmp_path: Path
) -> None:
    collab, homes = joined
    key = PartyHome.open(homes["shop"]).match_key(collab.id)
    leaky = exposures_table(collab.id, rows=5, key=key).append_column(
        "channel", pa.array([f"u{i}@example.com" for i in range(5)])
    )
    file = tmp_path / "leaky.parquet"
    pq.write_table(leaky, file)
    code, _, err = agent(
        "upload",
        "--home",
        str(homes["shop"]),
        "--dataset",
        "leaky",
        "--kind",
        "exposures",
        str(file),
    )
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("error: column 'channel': 5 distinct value(s)")
    assert "(pii-detected 422)" in err and "example.com" not in err


def test_join_with_an_admin_token_is_a_config_error(server: ServerProcess, tmp_path: Path) -> None:
    PartyHome.create(tmp_path / "h", "x")
    code, _, err = agent(
        "join", "--home", str(tmp_path / "h"), "--server", server.url, "--token", server.admin_token
    )
    assert (
        code == 2 and err == "error: this token belongs to a server admin, not to a party member\n"
    )


def test_commands_before_join_say_what_to_do(tmp_path: Path) -> None:
    PartyHome.create(tmp_path / "h", "x")
    code, _, err = agent("keys", "fetch", "--home", str(tmp_path / "h"))
    assert code == 2 and "run 'party-agent join' first" in err


def test_open_sessions_are_listed_and_aborted(
    joined: tuple[Collab, dict[str, Path]], server: ServerProcess, tmp_path: Path
) -> None:
    collab, homes = joined
    home = PartyHome.open(homes["shop"])
    assert home.token is not None
    with CleanRoomClient(server.url, home.token) as client:
        session = client.start_upload(collab.id, "stuck", "purchases", 1000, "0" * 64)
    code, out, err = agent("upload", "--home", str(homes["shop"]), "--list")
    assert code == 0, err
    assert out == f"{session['id']}  stuck  open  0/1000 bytes\n"
    state_path(home, collab.id, "stuck").parent.mkdir(exist_ok=True)
    state_path(home, collab.id, "stuck").write_text(
        f'{{"upload_id": "{session["id"]}", "file": "x"}}'
    )
    code, out, err = agent("upload", "--home", str(homes["shop"]), "--abort", session["id"])
    assert (code, out) == (0, f"aborted upload {session['id']}\n"), err
    assert not state_path(home, collab.id, "stuck").exists()
    assert agent("upload", "--home", str(homes["shop"]), "--list")[1] == "no unfinished uploads\n"
    code, _, err = agent("upload", "--home", str(homes["shop"]), "--abort", session["id"])
    assert code == 1 and err.startswith("error: upload ") and err.count("\n") == 1
    code, _, err = agent("upload", "--home", str(homes["shop"]))
    assert (code, err) == (2, "error: give FILE and --dataset (or --list, or --abort ID)\n")
