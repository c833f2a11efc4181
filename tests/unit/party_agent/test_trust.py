"""The agent checks policy hashes and pinned keys itself."""

from __future__ import annotations

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
