"""Match keys, fingerprints and wrapping a match key to a member."""

from __future__ import annotations

import base64
import re

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from protocols import (
    InvalidKey,
    KeyUnwrapError,
    MatchKey,
    UnsupportedVersion,
    decode_x25519_public_key,
    encode_public_key,
    public_key_fingerprint,
    unwrap_match_key,
    wrap_match_key,
)
from protocols.keys import WRAP_PREFIX

FINGERPRINT = re.compile(r"[0-9a-f]{4}( [0-9a-f]{4}){7}")


def _blob(wrapped: str) -> bytes:
    body = wrapped[len(WRAP_PREFIX) :]
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))


def _text(blob: bytes) -> str:
    return WRAP_PREFIX + base64.urlsafe_b64encode(blob).rstrip(b"=").decode()


def test_wrap_round_trips_for_the_intended_recipient() -> None:
    key, recipient = MatchKey.generate(), X25519PrivateKey.generate()
    wrapped = wrap_match_key(key, recipient.public_key(), "collab-1")
    assert unwrap_match_key(wrapped, recipient, "collab-1") == key
    assert key.secret.hex() not in wrapped


def test_wrapping_twice_gives_different_ciphertexts() -> None:
    key, recipient = MatchKey.generate(), X25519PrivateKey.generate()
    first = wrap_match_key(key, recipient.public_key(), "c")
    assert first != wrap_match_key(key, recipient.public_key(), "c")


def test_other_private_key_is_a_typed_error() -> None:
    key, recipient = MatchKey.generate(), X25519PrivateKey.generate()
    wrapped = wrap_match_key(key, recipient.public_key(), "collab-1")
    with pytest.raises(KeyUnwrapError, match="does not open with this private key"):
        unwrap_match_key(wrapped, X25519PrivateKey.generate(), "collab-1")


def test_other_collaboration_is_a_typed_error() -> None:
    key, recipient = MatchKey.generate(), X25519PrivateKey.generate()
    wrapped = wrap_match_key(key, recipient.public_key(), "collab-1")
    with pytest.raises(KeyUnwrapError):
        unwrap_match_key(wrapped, recipient, "collab-2")


@pytest.mark.parametrize("cut", [1, 16, 48, 80])
def test_truncated_ciphertext_is_a_typed_error(cut: int) -> None:
    key, recipient = MatchKey.generate(), X25519PrivateKey.generate()
    blob = _blob(wrap_match_key(key, recipient.public_key(), "c"))
    with pytest.raises(KeyUnwrapError, match="wrong length"):
        unwrap_match_key(_text(blob[:-cut]), recipient, "c")


def test_unknown_version_and_garbage_are_typed_errors() -> None:
    recipient = X25519PrivateKey.generate()
    with pytest.raises(UnsupportedVersion):
        unwrap_match_key("cr-wrap-v9:AAAA", recipient, "c")
    with pytest.raises(KeyUnwrapError, match="missing the 'cr-wrap-' prefix"):
        unwrap_match_key("hello", recipient, "c")
    with pytest.raises(KeyUnwrapError, match="base64url"):
        unwrap_match_key(WRAP_PREFIX + "!!!!", recipient, "c")


def test_match_key_validates_length_and_hides_secret_in_repr() -> None:
    with pytest.raises(InvalidKey, match="exactly 32 bytes"):
        MatchKey(b"short")
    with pytest.raises(InvalidKey, match="64 hexadecimal digits"):
        MatchKey.from_hex("not hex")
    key = MatchKey.generate()
    assert key.secret.hex() not in repr(key)
    assert MatchKey.from_hex(key.to_hex()) == key
    assert FINGERPRINT.fullmatch(key.fingerprint)


def test_public_key_fingerprints_are_readable_and_distinguish_key_types() -> None:
    x = X25519PrivateKey.generate().public_key()
    e = Ed25519PrivateKey.generate().public_key()
    assert FINGERPRINT.fullmatch(public_key_fingerprint(x))
    assert FINGERPRINT.fullmatch(public_key_fingerprint(e))
    assert decode_x25519_public_key(encode_public_key(x)) == x
    with pytest.raises(InvalidKey):
        decode_x25519_public_key("AAAA")
