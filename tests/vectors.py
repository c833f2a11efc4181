"""Loads the pinned protocol test vectors and re-derives tokens with the stdlib only.

The independent HKDF (RFC 5869) and HMAC here do not import :mod:`protocols`, so a test
that compares the two catches a change in the protocol code that the vectors pin.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

VECTORS_PATH = Path(__file__).resolve().parents[1] / "protocols" / "test_vectors.json"


def load_vectors() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
    return data


def stdlib_hkdf_sha256(ikm: bytes, salt: bytes, info: bytes, length: int = 32) -> bytes:
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    okm, block, counter = b"", b"", 1
    while len(okm) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        okm += block
        counter += 1
    return okm[:length]


FAMILY = {
    "email": "email",
    "email_sha256": "email",
    "phone": "phone",
    "phone_sha256": "phone",
    "maid": "maid",
    "customer_id": "customer_id",
}


def stdlib_token(match_key: bytes, collaboration_id: str, id_type: str, normalized: str) -> bytes:
    family = FAMILY[id_type]
    key = stdlib_hkdf_sha256(match_key, collaboration_id.encode(), f"v1|{family}".encode())
    message = normalized.encode()
    if id_type in ("email", "phone"):
        message = hashlib.sha256(message).hexdigest().encode()
    return hmac.new(key, message, hashlib.sha256).digest()
