"""A small messy party dataset, its mapping and a party home, for agent tests."""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

from party_agent.home import PartyHome
from protocols import IdType, MatchKey, NormalizeOptions, Rejected, normalize

COLLABORATION = "collab-test-1"
MAPPING = """\
timezone: UTC
identifiers:
  - {column: email, type: email}
  - {column: email_hash, type: email_sha256}
  - {column: phone, type: phone, region: US}
attributes:
  - {column: order_total, type: float, as: amount}
  - {column: order_time, type: timestamp, as: purchase_time}
  - {column: store, type: string, as: store_region}
"""


def row(i: int) -> dict[str, str]:
    """Row ``i``: most rows valid; some with bad, missing or only pre-hashed identifiers."""
    email = f" User.{i}@Example.COM " if i % 5 else ""
    phone = f"(650) 253-{i % 10000:04d}" if i % 3 else "555"
    email_hash = ""
    if i % 7 == 0:
        email = "not-an-email"
    if i % 11 == 0:
        email, email_hash = "", hashlib.sha256(f"hashed.{i}@example.org".encode()).hexdigest()
    if i % 13 == 0:
        email, phone = "", ""
    return {
        "email": email,
        "email_hash": email_hash,
        "phone": phone,
        "order_total": f"{i % 97}.{i % 100:02d}",
        "order_time": f"2024-02-{1 + i % 28:02d} 12:{i % 60:02d}:00",
        "store": f"region-{i % 4}",
        "notes": f"free text {i}",
    }


def write_csv(path: Path, rows: int, delimiter: str = ",") -> list[dict[str, str]]:
    records = [row(i) for i in range(rows)]
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(records[0]), delimiter=delimiter)
        writer.writeheader()
        writer.writerows(records)
    return records


@dataclass(frozen=True)
class Party:
    home: Path
    key_file: Path
    key: MatchKey
    mapping: Path


def make_party(root: Path, mapping: str = MAPPING) -> Party:
    home = PartyHome.create(root / "home", "retailer")
    key = MatchKey.generate()
    key_file = root / "match.key"
    key_file.write_text(key.to_hex())
    mapping_path = root / "mapping.yaml"
    mapping_path.write_text(mapping)
    return Party(home.path, key_file, key, mapping_path)


def secret_forms(records: list[dict[str, str]]) -> set[bytes]:
    """Every raw identifier, its normalized form, and their unsalted SHA-256 (hex and raw)."""
    forms: set[str] = set()
    options = NormalizeOptions(region="US")
    for record in records:
        for id_type, raw in ((IdType.EMAIL, record["email"]), (IdType.PHONE, record["phone"])):
            if len(raw.strip()) < 4:
                continue
            forms.add(raw.strip())
            normalized = normalize(id_type, raw, options)
            if not isinstance(normalized, Rejected):
                forms.add(normalized)
        if record["email_hash"]:
            forms.add(record["email_hash"])
    hashed = {hashlib.sha256(f.encode()).hexdigest() for f in forms}
    encoded = {f.encode() for f in forms | hashed}
    return (
        encoded
        | {bytes.fromhex(h) for h in hashed}
        | {bytes.fromhex(f) for f in forms if len(f) == 64}
    )
