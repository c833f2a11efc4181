"""The agent checks a server's key roster itself: digest, entries against raw keys,
every listed party's signature."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from party_agent.roster import verified_roster
from party_agent.trust import UntrustedReply
from protocols import (
    RosterEntry,
    b64url_encode,
    encode_public_key,
    public_key_fingerprint,
    roster_digest,
    roster_message,
)

COLLAB = "col_1"


def member(party: str) -> tuple[dict[str, Any], Ed25519PrivateKey]:
    x, e = X25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    json = {
        "id": f"mem_{party}",
        "party": party,
        "role": "party_admin",
        "x25519_public": encode_public_key(x.public_key()),
        "ed25519_public": encode_public_key(e.public_key()),
    }
    return json, e


def entry(m: dict[str, Any]) -> RosterEntry:
    from protocols import decode_ed25519_public_key, decode_x25519_public_key

    return RosterEntry(
        m["party"],
        m["id"],
        public_key_fingerprint(decode_x25519_public_key(m["x25519_public"])),
        public_key_fingerprint(decode_ed25519_public_key(m["ed25519_public"])),
    )


def reply(entries: list[RosterEntry], signers: dict[str, Ed25519PrivateKey]) -> dict[str, Any]:
    digest = roster_digest(COLLAB, 1, entries)
    message = roster_message(COLLAB, 1, digest)
    return {
        "version": 1,
        "digest": digest,
        "entries": [vars(e) for e in entries],
        "signatures": [
            {"member_id": mid, "signature": b64url_encode(key.sign(message))}
            for mid, key in signers.items()
        ],
    }


def test_a_roster_signed_by_every_party_passes() -> None:
    (brand, bk), (shop, sk) = member("brand"), member("shop")
    entries = [entry(brand), entry(shop)]
    roster = verified_roster(
        reply(entries, {brand["id"]: bk, shop["id"]: sk}), [brand, shop], COLLAB
    )
    roster.require_signed("x")
    roster.require_x25519(shop, entry(shop).x25519_fingerprint, "x")


def test_a_missing_or_foreign_signature_is_refused() -> None:
    (brand, bk), (shop, _) = member("brand"), member("shop")
    entries = [entry(brand), entry(shop)]
    signed = reply(entries, {brand["id"]: bk, shop["id"]: Ed25519PrivateKey.generate()})
    roster = verified_roster(signed, [brand, shop], COLLAB)
    assert roster.unsigned() == ["shop"]
    with pytest.raises(UntrustedReply, match=r"\(missing or invalid: shop\); .*; nothing$"):
        roster.require_signed("nothing")


def test_a_digest_that_does_not_match_the_entries_is_refused() -> None:
    (brand, bk), (shop, sk) = member("brand"), member("shop")
    signed = reply([entry(brand), entry(shop)], {brand["id"]: bk, shop["id"]: sk})
    signed["entries"] = signed["entries"][:1]
    with pytest.raises(UntrustedReply, match="does not hash to the digest"):
        verified_roster(signed, [brand, shop], COLLAB)


def test_an_entry_that_differs_from_the_listed_keys_is_refused() -> None:
    (brand, bk), (shop, sk) = member("brand"), member("shop")
    signed = reply([entry(brand), entry(shop)], {brand["id"]: bk, shop["id"]: sk})
    swapped, _ = member("shop")
    swapped["id"] = shop["id"]
    with pytest.raises(UntrustedReply, match="entry for shop does not match"):
        verified_roster(signed, [brand, swapped], COLLAB)


def test_a_key_outside_the_roster_is_refused() -> None:
    (brand, bk), (shop, sk) = member("brand"), member("shop")
    roster = verified_roster(
        reply([entry(brand), entry(shop)], {brand["id"]: bk, shop["id"]: sk}), [brand, shop], COLLAB
    )
    evil, _ = member("evil")
    with pytest.raises(UntrustedReply, match="REFUSED: evil's x25519 key"):
        roster.require_x25519(evil, entry(evil).x25519_fingerprint, "nothing")
    with pytest.raises(UntrustedReply, match="REFUSED: shop's ed25519 key"):
        roster.require_ed25519(shop, entry(evil).ed25519_fingerprint, "nothing")
