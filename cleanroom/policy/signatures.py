"""Checking members' Ed25519 signatures (policy approvals, match-key posts)."""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature as CryptoInvalidSignature

from cleanroom.errors import InvalidSignature, KeysNotRegistered
from cleanroom.storage.models import Member
from protocols import decode_ed25519_public_key
from protocols.encoding import b64url_decode


def verify_member_signature(member: Member, message: bytes, signature_text: str, what: str) -> None:
    """Raise unless ``signature_text`` is ``member``'s registered key's signature of ``message``."""
    if not member.ed25519_public:
        raise KeysNotRegistered(f"register your Ed25519 public key before signing {what}")
    key = decode_ed25519_public_key(member.ed25519_public)
    try:
        key.verify(b64url_decode(signature_text), message)
    except (ValueError, CryptoInvalidSignature):
        raise InvalidSignature(
            f"the signature of {what} does not verify against your registered Ed25519 key"
        ) from None
