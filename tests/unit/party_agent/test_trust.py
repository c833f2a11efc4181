"""The agent checks policy hashes and pinned keys itself."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from party_agent.trust import UntrustedReply, accepted_recipients, verified_policy
from policies import policy_from_yaml, policy_hash, preset, preset_yaml
from protocols import encode_public_key, public_key_fingerprint


def test_a_policy_whose_text_does_not_match_its_hash_is_refused() -> None:
    text = preset_yaml("standard")
    good = {"text": text, "policy_hash": policy_hash(preset("standard"))}
    assert verified_policy(good) == preset("standard")
    swapped = {**good, "policy_hash": policy_hash(preset("strict"))}
    with pytest.raises(UntrustedReply, match="does not hash to the hash the server names"):
        verified_policy(swapped)


def member(party: str, key: X25519PrivateKey, role: str = "party_admin") -> dict[str, object]:
    public = encode_public_key(key.public_key())
    return {"id": f"mem_{party}", "party": party, "role": role, "x25519_public": public}


def test_keys_the_policy_does_not_pin_get_no_wrapped_key() -> None:
    brand, shop, other = (X25519PrivateKey.generate() for _ in range(3))
    pinned = public_key_fingerprint(brand.public_key())
    text = preset_yaml("standard") + f"pinned_keys:\n  brand: ['{pinned}']\n"
    policy = policy_from_yaml(text)
    members = [member("brand", brand), member("shop", shop), member("ana", other, "analyst")]
    members.append(member("impostor", other) | {"party": "brand", "id": "mem_x"})
    accepted, refused = accepted_recipients(policy, members)
    assert [m["id"] for m in accepted] == ["mem_brand", "mem_shop"]
    assert refused == [
        f"brand (key {public_key_fingerprint(other.public_key())} is not pinned in the policy)"
    ]


def test_a_match_key_not_signed_by_its_creator_is_refused() -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from party_agent.trust import verified_creator
    from protocols import MatchKey, match_key_message

    signer, server_key = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    creator = {
        "id": "mem_brand",
        "party": "brand",
        "role": "party_admin",
        "ed25519_public": encode_public_key(signer.public_key()),
    }
    key = MatchKey.generate()

    def reply(by: Ed25519PrivateKey) -> dict[str, object]:
        raw = by.sign(match_key_message("col_1", key.fingerprint))
        text = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
        return {"created_by": "mem_brand", "fingerprint": key.fingerprint, "signature": text}

    policy = preset("standard")
    assert verified_creator(policy, [creator], reply(signer), key, "col_1")["party"] == "brand"
    with pytest.raises(UntrustedReply, match="does not verify with brand's key"):
        verified_creator(policy, [creator], reply(server_key), key, "col_1")
    with pytest.raises(UntrustedReply, match="fingerprint the server names"):
        verified_creator(policy, [creator], reply(signer), MatchKey.generate(), "col_1")
