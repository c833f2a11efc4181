"""The v2 vectors hold for the agent's code and for an independent ristretto255.

The independent side is :mod:`tests.ristretto_reference`, pure Python from the RFC 9496
formulas (no libsodium): it recomputes every hash input, point, once- and twice-blinded
value of ``protocols/test_vectors.json`` from the inputs and the vector scalars.
"""

from __future__ import annotations

import hashlib
import struct
from typing import Any

import pyarrow as pa
import pytest

from protocols import Blinder, BlindingScalar, IdType, NormalizeOptions, normalize
from tests import ristretto_reference as ref
from tests.vectors import load_vectors

V2: dict[str, Any] = load_vectors()["v2"]
CASES: list[dict[str, Any]] = V2["cases"]
COLLAB: str = V2["collaboration_id"]


def _scalar(party: str, family: str) -> int:
    return int.from_bytes(bytes.fromhex(V2["scalars_hex"][party][family]), "little")


def _reference_hash_input(family: str, value: bytes) -> bytes:
    """The domain-separated SHA-512 of the protocol spec, written out independently."""
    prefix = b"cleanroom v2 hash to ristretto255\x00"
    for part in (COLLAB, family):
        prefix += struct.pack(">H", len(part.encode())) + part.encode()
    return hashlib.sha512(prefix + value).digest()


def _family(case: dict[str, Any]) -> str:
    return IdType(case["id_type"]).family


def test_rfc9496_vectors_hold_for_the_reference() -> None:
    """The reference itself is right: RFC 9496 A.1 (2B) and A.3 (the espresso input)."""
    base = ref.decode(
        bytes.fromhex("e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76")
    )
    assert base is not None
    two_b = "6a493210f7499cd17fecb510ae0cea23a110e8d5b901f8acadd3095c73a3b919"
    assert ref.encode(ref.scalar_mult(2, base)).hex() == two_b
    espresso = hashlib.sha512(b"Ristretto is traditionally a short shot of espresso coffee")
    point = ref.encode(ref.from_uniform_bytes(espresso.digest()))
    assert point.hex() == "3066f82a1a747d45120d1740f14358531a8f04bbffe6a819f86dfe50f44a0a46"
    assert ref.encode(ref.scalar_mult(ref.L, base)) == bytes(32)


def test_every_family_and_both_forms_are_covered() -> None:
    assert {_family(c) for c in CASES} == {"email", "phone", "maid", "customer_id"}
    assert {"email_sha256", "phone_sha256"} <= {c["id_type"] for c in CASES}


@pytest.mark.parametrize("case", CASES, ids=[c["note"] for c in CASES])
def test_reference_recomputes_every_step(case: dict[str, Any]) -> None:
    family = _family(case)
    options = NormalizeOptions(region=case["region"], fold_gmail=case["fold_gmail"])
    assert normalize(IdType(case["id_type"]), case["raw"], options) == case["normalized"]
    digest = _reference_hash_input(family, case["input"].encode())
    assert digest.hex() == case["hash_input_hex"]
    point = ref.from_uniform_bytes(digest)
    assert ref.encode(point).hex() == case["point_hex"]
    once_a = ref.scalar_mult(_scalar("a", family), point)
    once_b = ref.scalar_mult(_scalar("b", family), point)
    assert ref.encode(once_a).hex() == case["once_a_hex"]
    assert ref.encode(once_b).hex() == case["once_b_hex"]
    # Each side blinds the other's decoded once-blinded point: the same twice-blinded value.
    from_a = ref.decode(bytes.fromhex(case["once_a_hex"]))
    from_b = ref.decode(bytes.fromhex(case["once_b_hex"]))
    assert from_a is not None and from_b is not None
    twice_ab = ref.encode(ref.scalar_mult(_scalar("b", family), from_a))
    twice_ba = ref.encode(ref.scalar_mult(_scalar("a", family), from_b))
    assert twice_ab.hex() == twice_ba.hex() == case["twice_hex"]


@pytest.mark.parametrize("case", CASES, ids=[c["note"] for c in CASES])
def test_the_agent_batch_path_matches_the_vector(case: dict[str, Any]) -> None:
    scalars = {f: BlindingScalar(bytes.fromhex(h)) for f, h in V2["scalars_hex"]["a"].items()}
    options = NormalizeOptions(region=case["region"], fold_gmail=case["fold_gmail"])
    column = Blinder(scalars, COLLAB, parallel=False).tokenize_array(
        IdType(case["id_type"]), pa.array([case["raw"], None, "x"]), options
    )
    assert column.tokens[0].as_py().hex() == case["once_a_hex"]
    assert column.tokens[1].as_py() is None


def test_key_checks_are_pinned() -> None:
    for party, scalars in V2["scalars_hex"].items():
        for family, secret in scalars.items():
            check = BlindingScalar(bytes.fromhex(secret)).key_check()
            assert check == V2["key_checks"][party][family]
