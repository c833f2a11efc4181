"""``party-agent tokenize --protocol v2`` and ``party-agent blind``'s refusals, through
Typer's runner; the full online loop runs in ``tests/e2e/test_demo_v2.py``."""

from __future__ import annotations

from pathlib import Path

import httpx
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from party_agent.blinding import blind_all
from party_agent.cli import app
from party_agent.client import CleanRoomClient
from party_agent.errors import BatchRefused
from party_agent.home import PartyHome
from party_agent.scalars import load_scalar, scalar_path
from protocols import (
    ONCE_BLINDED_VERSION,
    BlindingScalar,
    IdType,
    NormalizeOptions,
    RelayFrame,
    RelayStep,
    encode_frame,
    hash_to_group,
    token_version,
)
from protocols.blind_tokens import Blinder
from tests.integration.agent_data import COLLABORATION, make_party, secret_forms, write_csv

runner = CliRunner()


def test_tokenize_v2_writes_once_blinded_points_under_the_homes_scalars(tmp_path: Path) -> None:
    party = make_party(tmp_path)
    records = write_csv(tmp_path / "in.csv", 40)
    out = tmp_path / "out.parquet"
    args = ["tokenize", "--home", str(party.home), "--mapping", str(party.mapping),
            "--in", str(tmp_path / "in.csv"), "--out", str(out), "--protocol", "v2",
            "--collaboration", COLLABORATION, "--quiet"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    home = PartyHome.open(party.home)
    for family in ("email", "phone"):
        path = scalar_path(home, COLLABORATION, family)
        assert path.stat().st_mode & 0o777 == 0o600
    table = pq.read_table(out)
    assert token_version(table.schema.field("token_email")) == ONCE_BLINDED_VERSION
    scalars = {f: load_scalar(home, COLLABORATION, f) for f in ("email", "phone")}
    maker = Blinder(scalars, COLLABORATION)
    expected = {maker.token(IdType.EMAIL, r["email"]) for r in records}
    stored = set(table.column("token_email").to_pylist())
    valid = {t for t in expected if isinstance(t, bytes)}
    assert len(valid) > 10 and valid <= stored  # the CLI wrote the reference path's points
    assert stored.isdisjoint(secret_forms(records))


def test_protocol_v2_refuses_a_match_key_file(tmp_path: Path) -> None:
    party = make_party(tmp_path)
    write_csv(tmp_path / "in.csv", 5)
    args = ["tokenize", "--home", str(party.home), "--mapping", str(party.mapping),
            "--in", str(tmp_path / "in.csv"), "--out", str(tmp_path / "o.parquet"),
            "--protocol", "v2", "--match-key-file", str(party.key_file),
            "--collaboration", COLLABORATION]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: --match-key-file is for protocol v1; v2 uses this party's scalars"
    )


GOOD = hash_to_group(COLLABORATION, "email", [b"a", b"b", b"c"])


def _fake_server(relayed: bytes) -> tuple[CleanRoomClient, list[httpx.Request]]:
    """A server that lists one batch of 3 points and relays ``relayed`` for it."""
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "POST":
            batch = {"id": "bb_1", "family": "email", "count": 3, "received": 0,
                     "max_points_per_frame": 10, "protocol": "v2"}  # fmt: skip
            return httpx.Response(200, json={"protocol": "v2", "step": "relay", "batches": [batch]})
        if request.method == "GET":
            return httpx.Response(200, content=relayed)
        return httpx.Response(200, json={"received": 3})

    http = httpx.Client(base_url="http://fake", transport=httpx.MockTransport(handle))
    return CleanRoomClient("http://fake", http=http), seen


@pytest.mark.parametrize(
    ("relayed", "message"),
    [
        (encode_frame(RelayFrame(RelayStep.RELAY, "bb_1", 0, GOOD[:64] + bytes(32))),
         "batch bb_1 refused at offset 0: point 2 is the identity; nothing was sent back"),
        (encode_frame(RelayFrame(RelayStep.RELAY, "bb_1", 0, GOOD[:32] + b"\xff" * 32 + GOOD[:32])),
         "point 1 is not a valid ristretto255 encoding"),
        (encode_frame(RelayFrame(RelayStep.REPLY, "bb_1", 0, GOOD)),
         "relay frame is step 4, expected step 3"),
        (encode_frame(RelayFrame(RelayStep.RELAY, "bb_9", 0, GOOD)),
         "relay frame belongs to another batch"),
        (encode_frame(RelayFrame(RelayStep.RELAY, "bb_1", 0, GOOD))[:-5],
         "relay frame length does not match its point count"),
        (encode_frame(RelayFrame(RelayStep.RELAY, "bb_1", 0, GOOD + GOOD[:32])),
         "the server sent 4 points at offset 0 of 3"),
    ],
    ids=["identity", "invalid encoding", "wrong step", "other batch", "truncated", "too many"],
)  # fmt: skip
def test_a_malformed_batch_is_refused_and_nothing_is_sent(relayed: bytes, message: str) -> None:
    client, seen = _fake_server(relayed)
    with pytest.raises(BatchRefused, match=message):
        blind_all(client, COLLABORATION, lambda _: BlindingScalar.generate())
    assert [r.method for r in seen] == ["POST", "GET"]  # no PUT: nothing went back


def test_a_good_batch_is_blinded_and_sent_once() -> None:
    client, seen = _fake_server(encode_frame(RelayFrame(RelayStep.RELAY, "bb_1", 0, GOOD)))
    summary = blind_all(client, COLLABORATION, lambda _: BlindingScalar.generate())
    assert summary.points == 3 and [r.method for r in seen] == ["POST", "GET", "PUT"]
    assert seen[2].url.params["offset"] == "0" and len(seen[2].url.params["key_check"]) == 16


def test_options_region_is_kept_for_v2_phones() -> None:
    scalar = BlindingScalar.generate()
    maker = Blinder({"phone": scalar}, COLLABORATION, parallel=False)
    national = maker.token(IdType.PHONE, "(415) 555-2671", NormalizeOptions(region="US"))
    assert national == maker.token(IdType.PHONE, "+14155552671")
