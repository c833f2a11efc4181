"""Match keys, party key pairs, fingerprints, and wrapping a match key to a member.

Wrapping uses HPKE (RFC 9180) base mode from ``cryptography``: DHKEM(X25519,
HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305. The HPKE ``info`` binds the wrapped key to
the collaboration id and to the recipient's key fingerprint, so a wrapped key cannot be
replayed into another collaboration or to another member. The byte format is written
down in ``docs/reference/protocol.md``.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from protocols.encoding import b64url_decode, b64url_encode
from protocols.errors import InvalidKey, KeyUnwrapError, UnsupportedVersion

MATCH_KEY_BYTES = 32
WRAP_PREFIX = "cr-wrap-v1:"
_WRAP_VERSION = b"\x01"
_ENC_BYTES = 32
_CIPHERTEXT_BYTES = MATCH_KEY_BYTES + 16
_SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)


@dataclass(frozen=True, slots=True)
class MatchKey:
    """The 32-byte secret both parties hold and the clean-room server never sees."""

    secret: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.secret, bytes) or len(self.secret) != MATCH_KEY_BYTES:
            raise InvalidKey(f"a match key is exactly {MATCH_KEY_BYTES} bytes")

    @classmethod
    def generate(cls) -> MatchKey:
        """A fresh key from the operating system's CSPRNG."""
        return cls(secrets.token_bytes(MATCH_KEY_BYTES))

    @classmethod
    def from_hex(cls, text: str) -> MatchKey:
        """Parse the 64-hex-digit form used in shared-secret files."""
        try:
            secret = bytes.fromhex(text.strip())
        except ValueError:
            raise InvalidKey("a match key file holds 64 hexadecimal digits") from None
        return cls(secret)

    def to_hex(self) -> str:
        return self.secret.hex()

    @property
    def fingerprint(self) -> str:
        """A fingerprint both parties can compare without revealing the key."""
        return format_fingerprint(hashlib.sha256(b"cleanroom match-key fp|" + self.secret).digest())

    def __repr__(self) -> str:
        return f"MatchKey(fingerprint={self.fingerprint!r})"


def format_fingerprint(digest: bytes) -> str:
    """Eight groups of four hex digits (128 bits), easy to read aloud and compare."""
    text = digest[:16].hex()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def public_key_fingerprint(public_key: X25519PublicKey | Ed25519PublicKey) -> str:
    """Fingerprint of an X25519 or Ed25519 public key (SHA-256 of type and raw bytes)."""
    kind = b"x25519" if isinstance(public_key, X25519PublicKey) else b"ed25519"
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return format_fingerprint(hashlib.sha256(kind + b"|" + raw).digest())


def encode_public_key(public_key: X25519PublicKey | Ed25519PublicKey) -> str:
    """Raw public key bytes as base64url without padding (the wire form)."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return b64url_encode(raw)


def _decode_raw_key(text: str) -> bytes:
    try:
        raw = b64url_decode(text)
    except (ValueError, TypeError):
        raise InvalidKey("a public key is 32 bytes in base64url") from None
    if len(raw) != 32:
        raise InvalidKey("a public key is 32 bytes in base64url")
    return raw


def decode_x25519_public_key(text: str) -> X25519PublicKey:
    return X25519PublicKey.from_public_bytes(_decode_raw_key(text))


def decode_ed25519_public_key(text: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(_decode_raw_key(text))


def _wrap_info(collaboration_id: str, recipient: X25519PublicKey) -> bytes:
    fingerprint = public_key_fingerprint(recipient)
    return f"cleanroom match-key wrap v1|{collaboration_id}|{fingerprint}".encode()


def wrap_match_key(key: MatchKey, recipient: X25519PublicKey, collaboration_id: str) -> str:
    """Encrypt ``key`` to ``recipient`` for ``collaboration_id``; returns printable text."""
    sealed = _SUITE.encrypt(key.secret, recipient, _wrap_info(collaboration_id, recipient))
    blob = _WRAP_VERSION + sealed
    return WRAP_PREFIX + b64url_encode(blob)


def unwrap_match_key(
    wrapped: str, private_key: X25519PrivateKey, collaboration_id: str
) -> MatchKey:
    """Open a wrapped key; any mismatch raises :class:`KeyUnwrapError`, never a wrong key."""
    if not wrapped.startswith("cr-wrap-"):
        raise KeyUnwrapError("not a wrapped match key (missing the 'cr-wrap-' prefix)")
    if not wrapped.startswith(WRAP_PREFIX):
        raise UnsupportedVersion("wrapped match key has an unsupported version")
    body = wrapped[len(WRAP_PREFIX) :]
    try:
        blob = b64url_decode(body)
    except (ValueError, TypeError):
        raise KeyUnwrapError("wrapped match key is not valid base64url") from None
    if len(blob) != 1 + _ENC_BYTES + _CIPHERTEXT_BYTES or blob[:1] != _WRAP_VERSION:
        raise KeyUnwrapError("wrapped match key has the wrong length or version byte")
    info = _wrap_info(collaboration_id, private_key.public_key())
    try:
        secret = _SUITE.decrypt(blob[1:], private_key, info)
    except (InvalidTag, ValueError):
        raise KeyUnwrapError(
            "wrapped match key does not open with this private key for this collaboration"
        ) from None
    return MatchKey(secret)
