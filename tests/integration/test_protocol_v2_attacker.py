"""Protocol v2 from the attacker's side.

1. The retailer holds everything a party can hold: its own scalar, the brand's
   once-blinded batch exactly as the server relayed it, and a dictionary of 100,000
   candidate emails that contains every one of the brand's 150 real customers. Every
   computation it can do without the brand's scalar links none of them; the same
   dictionary under the brand's scalar (which it does not have) links all 150, so the
   test would notice a protocol that leaked. (The full million: ``make bench``,
   ``benchmarks/bench_blind.py --attack``.)
2. The server's data dir, scanned before and after the join, holds no value that
   either party could compute without a scalar: no normalized identifier, no SHA-256
   of one (hex or raw), no hash-to-group input or point, no v1-style digest.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pyarrow.parquet as pq
from fastapi import FastAPI

from protocols import RelayStep, blind_many, hash_to_group, parse_frame
from protocols.ristretto import hash_input
from tests.integration.query_world import QueryWorld, in_process
from tests.integration.v2_world import (
    Scalars,
    agent_client,
    blind_for,
    make_v2_world,
    new_scalars,
)

CANDIDATES = 100_000
BRAND_USERS = range(150)


def _points(data: bytes) -> set[bytes]:
    return {data[i : i + 32] for i in range(0, len(data), 32)}


def _relayed_brand_points(w: QueryWorld) -> bytes:
    """What the retailer receives in step 3: the brand's points, shuffled."""
    with agent_client(w, "retailer") as client:
        batch = client.blinding_batches(w.id)["batches"][0]
        data = client.relay_frame(w.id, batch["id"], 0, batch["count"])
    return parse_frame(data, step=RelayStep.RELAY, batch_id=batch["id"], offset=0).points


def _dictionary() -> list[bytes]:
    """Hash inputs (SHA-256 hex) of 100k candidate emails, the brand's 150 among them."""
    emails = [f"user{i}@example.com" for i in range(CANDIDATES)]
    return [hashlib.sha256(e.encode()).hexdigest().encode() for e in emails]


def test_the_partners_once_blinded_file_links_none_of_a_100k_dictionary(app: FastAPI) -> None:
    scalars: Scalars = new_scalars()
    w = make_v2_world(in_process(app), app.state.admin_token, scalars, name="attack")
    relayed = _points(_relayed_brand_points(w))
    assert len(relayed) == 150
    inputs = _dictionary()
    unblinded = hash_to_group(w.id, "email", inputs)
    mine = blind_many(scalars["retailer"]["email"], unblinded)
    assert _points(unblinded) & relayed == set()  # H(x): scalar-free
    assert _points(mine) & relayed == set()  # b * H(x): the attacker's own scalar
    assert {hashlib.sha256(v).digest() for v in inputs} & relayed == set()
    # Control: under the brand's scalar, the same dictionary links every customer.
    theirs = blind_many(scalars["brand"]["email"], unblinded[: 150 * 32])
    assert _points(theirs) == relayed


def _scalar_free_values(w: QueryWorld) -> set[bytes]:
    """Every value a party can compute from identifiers alone, for all 240 users."""
    values: set[bytes] = set()
    for i in range(240):
        email = f"user{i}@example.com".encode()
        hexed = hashlib.sha256(email).hexdigest().encode()
        point = hash_to_group(w.id, "email", [hexed])
        values |= {email, hexed, hashlib.sha256(email).digest(), point}
        values.add(hash_input(w.id, "email", hexed))
    return values


def _stored_values(root: Path) -> tuple[bytes, set[bytes]]:
    """Raw bytes of every non-Parquet file, and every cell of every Parquet file."""
    raw, cells = b"", set()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if path.suffix == ".parquet":
            for column in pq.read_table(path).columns:
                for value in column.to_pylist():
                    if isinstance(value, bytes | str):
                        cells.add(value.encode() if isinstance(value, str) else value)
        else:
            raw += path.read_bytes()
    return raw, cells


def _dump_database(root: Path) -> bytes:
    with sqlite3.connect(root / "cleanroom.db") as db:
        return "\n".join(db.iterdump()).encode()


def _assert_holds_none(root: Path, values: set[bytes]) -> None:
    raw, cells = _stored_values(root)
    raw += _dump_database(root) if (root / "cleanroom.db").exists() else b""
    assert values.isdisjoint(cells)
    found = [v for v in values if v in raw]
    assert found == []


def test_the_data_dir_holds_no_scalar_free_value(app: FastAPI) -> None:
    scalars = new_scalars()
    w = make_v2_world(in_process(app), app.state.admin_token, scalars, name="scan")
    root: Path = app.state.settings.data_dir
    values = _scalar_free_values(w)
    _relayed_brand_points(w)  # batches (relay.bin, order.bin) now on disk
    assert any((root / "blinding").rglob("relay.bin"))
    _assert_holds_none(root, values)
    blind_for(w, "retailer", scalars)
    blind_for(w, "brand", scalars)
    assert app.state.preparer.wait_idle(60)  # the doubly blinded file's prepared sibling too
    assert sorted(p.name for p in (root / "datasets" / w.id / "exp").iterdir()) == [
        "v1.blinded.parquet",
        "v1.blinded.prepared.parquet",
    ]
    _assert_holds_none(root, values)
    # The scan does see what is stored: user 70's doubly blinded token is found.
    hexed = hashlib.sha256(b"user70@example.com").hexdigest().encode()
    once = blind_many(scalars["brand"]["email"], hash_to_group(w.id, "email", [hexed]))
    assert blind_many(scalars["retailer"]["email"], once) in _stored_values(root)[1]
